package runtime

import _ "unsafe"

func plain() int { return 1 }
