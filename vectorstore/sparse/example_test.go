package sparse_test

import (
	"fmt"

	"github.com/papermap/papermap/vectorstore/sparse"
)

func Example() {
	x := sparse.New(sparse.Options{})
	x.Add(
		[]string{"a", "b", "c"},
		[]string{
			"Galaxy redshift survey of the southern sky",
			"Graph neural networks for molecules",
			"Photometric redshift estimation with neural networks",
		})
	hits, _ := x.Search("redshift survey", 10, nil, nil)
	for _, h := range hits {
		fmt.Printf("%s %.2f\n", h.ID, h.Score)
	}
	// "redshift" is in two of the three texts, more than MaxDF (half of
	// them) allows, so only "survey" counts: a's four terms weigh alike and
	// its cosine with the query is 1/√4.

	// Output:
	// a 0.50
}
