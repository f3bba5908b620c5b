package vectorstore

import "fmt"

// IDHashes returns the records' IDs, sorted, and the hash (HashRecord) of
// each: what IDs and a Lookup of every ID give, in one pass. A store read
// from its snapshot holds its rows in ID order already, so this costs no
// sort and no search: the fingerprint of a million records that corpus
// checks before a hybrid search took 0.54 s of CPU through IDs and Lookup.
func (s *Store) IDHashes() (ids, hashes []string) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.t
	ids, hashes = make([]string, len(t.rows)), make([]string, len(t.rows))
	if t.rowOf == nil { // rows from the snapshot, in ID order
		for i := range t.rows {
			ids[i], hashes[i] = t.rows[i].id, t.rows[i].hash
		}
		return ids, hashes
	}
	for k, i := range t.sortedRows() {
		ids[k], hashes[k] = t.rows[i].id, t.rows[i].hash
	}
	return ids, hashes
}

// LogStamp names the state of the records the store holds: its
// embedder, the creation time of its manifest (a store rebuilt by Replace
// has a new one), the length of the log read and the CRC-32C of its last
// 4 KiB before that length, as the snapshot and the index are stamped.
// The log is only ever appended to or rewritten whole, so two equal
// stamps mean the same records, and a caller may keep what it derived
// from every record (a fingerprint, an index) under the stamp instead of
// deriving it again.
func (s *Store) LogStamp() (string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return "", fmt.Errorf("vectorstore: %w", ErrClosed)
	}
	tail, err := logTailCRC(s.log, s.size)
	if err != nil {
		return "", fmt.Errorf("vectorstore: read %s: %w", logName, err)
	}
	return fmt.Sprintf("%s/%d/%08x", s.indexIdentity(), s.size, tail), nil
}
