// Copyright 2026 The Go Authors. All rights reserved.
package runtime

import _ "unsafe"

func procyield(cycles uint32) {}

func osyield() {}
