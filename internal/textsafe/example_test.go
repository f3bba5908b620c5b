package textsafe_test

import (
	"fmt"

	"github.com/papermap/papermap/internal/textsafe"
)

func ExampleLine() {
	title := "Quarterly report\u202E\n  fdp.exe"
	fmt.Printf("%q\n", textsafe.Line(title))
	// Output: "Quarterly report fdp.exe"
}
