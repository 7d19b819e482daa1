package p

import _ "unsafe"

// plain is pushed here, away from its declaration.
//
//go:linkname plain
