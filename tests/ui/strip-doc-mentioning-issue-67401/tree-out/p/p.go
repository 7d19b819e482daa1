// Package p is a tiny package for linkallow's UI tests.
package p

import _ "unsafe"

// Foo does things.
//
// Unlike plain, Foo is not pulled; see go.dev/issue/67401 for why.
//
// More text about Foo that must stay.
func Foo() int { return 1 }

func plain() int { return 1 }
