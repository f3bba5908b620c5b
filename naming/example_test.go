package naming_test

import (
	"context"
	"fmt"

	"github.com/papermap/papermap/naming"
)

// Without a model, themes keep their keyword labels; a model's answer is
// sanitised before it becomes a name.
func Example() {
	themes := []naming.ThemeText{
		{Label: "graph / vertex / edge", Keywords: []string{"graph", "vertex", "edge"}},
		{Label: "spin / lattice", Keywords: []string{"spin", "lattice"}},
		{Label: "graph / spin", Children: []int{0, 1}},
	}
	var namer naming.Namer = naming.Keywords{}
	names, _ := namer.Name(context.Background(), themes)
	for _, n := range names {
		fmt.Println(n.Label)
	}
	fmt.Println(naming.Sanitize("**Topic:** \"Spin Glasses\"\nThese documents..."))
	// Output:
	// graph / vertex / edge
	// spin / lattice
	// graph / spin
	// Spin Glasses
}
