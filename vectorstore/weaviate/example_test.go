package weaviate_test

import (
	"fmt"

	"github.com/papermap/papermap/vectorstore/weaviate"
)

// A store address names the REST port, the collection and, when it is not
// 50051, the gRPC port; weaviate.Open (and papermap's --store) take it.
func ExampleParseAddress() {
	a, err := weaviate.ParseAddress("weaviate://10.0.0.5:8080/arxiv?grpc=50052&consistency=all")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(a.Host, a.GRPC, a.Collection, a.Consistency)
	fmt.Println(weaviate.IsAddress("papermap-store"))
	// Output:
	// 10.0.0.5:8080 10.0.0.5:50052 Arxiv ALL
	// false
}
