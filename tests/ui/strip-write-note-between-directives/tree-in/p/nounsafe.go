package p

import _ "unsafe" // for linkname

// bare should be an internal detail,
// but widely used packages access it using linkname.
// Notable members of the hall of shame include:
//   - example.com/alpha
//
// Do not remove or change the type signature.
// See go.dev/issue/67401.
//
//go:linkname bare
func bare() int { return 7 }
