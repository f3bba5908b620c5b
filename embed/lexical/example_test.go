package lexical_test

import (
	"context"
	"fmt"
	"log"
	"slices"

	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/lexical"
)

func ExampleFit() {
	abstracts := []string{
		"Graph neural networks learn node representations by message passing.",
		"Message passing neural networks predict molecular properties.",
		"Dark matter halos shape the rotation curves of spiral galaxies.",
		"Rotation curves of dwarf galaxies constrain dark matter.",
		"Convolutional networks classify images.",
		"Spiral galaxies observed in the infrared.",
	}
	ctx := context.Background()
	model, vecs, err := lexical.Fit(ctx, abstracts, lexical.Options{Dimensions: 2})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(model.Info())
	fmt.Println(model.Vocabulary())

	q, err := model.Embed(ctx, []string{"the rotation of galaxies"}, embed.Query)
	if err != nil {
		log.Fatal(err)
	}
	// Vectors have unit length: the dot product is the cosine.
	score := func(i int) float32 {
		var s float32
		for j := range q[0] {
			s += q[0][j] * vecs[i][j]
		}
		return s
	}
	order := []int{0, 1, 2, 3, 4, 5}
	slices.SortStableFunc(order, func(a, b int) int {
		switch sa, sb := score(a), score(b); {
		case sa > sb:
			return -1
		case sa < sb:
			return 1
		}
		return 0
	})
	for _, i := range order[:3] {
		fmt.Println(abstracts[i])
	}
	// Output:
	// {lexical lsa-tfidf 2}
	// [curves dark galaxies matter message networks neural passing rotation spiral]
	// Dark matter halos shape the rotation curves of spiral galaxies.
	// Rotation curves of dwarf galaxies constrain dark matter.
	// Spiral galaxies observed in the infrared.
}

func ExampleTokenize() {
	fmt.Printf("%q\n", lexical.Tokenize("Café-style NLP: 3.5× faster, naïvely (野口)!"))
	// Output:
	// ["cafe" "style" "nlp" "3" "5×" "faster" "naively" "野" "口"]
}
