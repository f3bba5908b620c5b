package format

import "testing"

func TestInt(t *testing.T) {
	for n, want := range map[int]string{
		0: "0", 7: "7", 999: "999", 1000: "1,000", 98442: "98,442",
		1000000: "1,000,000", -1: "-1", -1234: "-1,234", -123456: "-123,456",
	} {
		if got := Int(n); got != want {
			t.Errorf("Int(%d) = %q, want %q", n, got, want)
		}
	}
}
