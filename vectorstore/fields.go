package vectorstore

import (
	"maps"
	"slices"
)

// Fields returns the metadata keys that at least one record has a
// non-empty value for, sorted: the keys a Filter can select on.
func (s *Store) Fields() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	seen := make(map[string]bool)
	for i := range s.t.rows {
		for k, v := range s.t.rows[i].meta {
			if v != "" {
				seen[k] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}
