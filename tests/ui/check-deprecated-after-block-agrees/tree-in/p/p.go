// Package p is a tiny package for linkallow's UI tests.
package p

import _ "unsafe"

// plain returns one.
//
// plain should be an internal detail,
// but widely used packages access it using linkname.
// Notable members of the hall of shame include:
//   - example.com/alpha
//
// Do not remove or change the type signature.
// See go.dev/issue/67401.
//
// Deprecated: use Foo, which is not pulled.
//
//go:linkname plain
func plain() int { return 1 }
