package testmodel_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/papermap/papermap/internal/testharness/testmodel"
)

func ExampleWrite() {
	dir, err := os.MkdirTemp("", "testmodel")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := testmodel.Write(dir, testmodel.Tiny); err != nil {
		log.Fatal(err)
	}
	tensors, _, err := testmodel.ReadSafetensorsHeader(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(tensors), "tensors; word embeddings", tensors["embeddings.word_embeddings.weight"].Shape)
	for _, f := range testmodel.Files[:4] {
		fmt.Println(f)
	}
	// Output:
	// 39 tensors; word embeddings [4096 32]
	// config.json
	// modules.json
	// sentence_bert_config.json
	// 1_Pooling/config.json
}

func ExampleTokenizer() {
	tok := testmodel.NewTokenizer(testmodel.Vocab(testmodel.Tiny))
	ids := tok.Tokenize("The spectrum of quasars.")
	fmt.Println(len(ids), "tokens, from", ids[0], "([CLS]) to", ids[len(ids)-1], "([SEP])")
	// Output:
	// 7 tokens, from 101 ([CLS]) to 102 ([SEP])
}

func ExampleReference() {
	ref, err := testmodel.NewReference(testmodel.Tiny)
	if err != nil {
		log.Fatal(err)
	}
	a, _ := ref.Embed("dark matter in galaxy clusters")
	b, _ := ref.Embed("dark matter in galaxy clusters")
	c, _ := ref.Embed("graph colouring algorithms")
	cos := func(x, y []float32) (s float32) {
		for i := range x {
			s += x[i] * y[i]
		}
		return s
	}
	fmt.Println(len(a), "dimensions")
	fmt.Printf("same text %.2f, different texts below 0.9: %v\n", cos(a, b), cos(a, c) < 0.9)
	// Output:
	// 32 dimensions
	// same text 1.00, different texts below 0.9: true
}
