package vectorstore

// ScanMatrix calls f with every record's vector in ID order, the order of
// IDs and Matrix, at most rows records at a time: block holds the vectors
// of records lo to lo+len(block)/dim−1 of that order, one after another.
// Unlike Matrix it makes no copy of the whole matrix (1 GB for a million
// records of 256 dimensions): while the store's rows are in ID order (a
// store read from its snapshot and not changed since), the blocks are views
// of the store's own matrix; otherwise they are copied into one buffer of
// rows records. f runs under the store's read lock (writers wait until the
// scan ends): it must not call the store, nor change or keep block. The
// scan stops at f's first error and returns it.
func (s *Store) ScanMatrix(rows int, f func(lo int, block []float32) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.t
	if err := t.readyAll(); err != nil {
		// As Matrix: rows whose snapshot chunk and log frame are both
		// damaged are read as they are; the notice says which.
		s.notify("vectorstore: %v", err)
	}
	d := t.dim
	rows = max(rows, 1)
	_, rerr := t.allRows()
	if t.rowOf == nil && rerr == nil {
		// Rows read from the snapshot are sorted by ID (see find).
		n := t.n()
		for lo := 0; lo < n; lo += rows {
			hi := min(lo+rows, n)
			if err := f(lo, t.vecs[lo*d:hi*d:hi*d]); err != nil {
				return err
			}
		}
		return nil
	}
	if rerr != nil {
		// As Matrix and IDs: rows whose chunk of the snapshot's row index
		// and the log are both damaged are left out, with a notice.
		s.notify("vectorstore: %v", rerr)
	}
	order := t.sortedRows()
	buf := make([]float32, min(rows, len(order))*d)
	k, lo := 0, 0
	flush := func() error {
		if k == 0 {
			return nil
		}
		err := f(lo, buf[:k*d:k*d])
		lo, k = lo+k, 0
		return err
	}
	for _, i := range order {
		if _, err := t.row(i); err != nil {
			continue
		}
		copy(buf[k*d:(k+1)*d], t.vec(i))
		if k++; k == rows {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}
