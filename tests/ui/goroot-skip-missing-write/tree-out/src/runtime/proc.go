// Copyright 2026 The Go Authors. All rights reserved.
package runtime

import _ "unsafe"

// procyield should be an internal detail,
// but widely used packages access it using linkname.
// Notable members of the hall of shame include:
//   - github.com/x/y
//
// Do not remove or change the type signature.
// See go.dev/issue/67401.
//
//go:linkname procyield
func procyield(cycles uint32) {}

func osyield() {}
