// Package p is a tiny package for linkallow's UI tests.
package p

import _ "unsafe"

// plain returns one.
//
// Deprecated: use Foo, which is not pulled.
func plain() int { return 1 }
