package p

type serverHandler struct{}

func (sh serverHandler) ServeHTTP(n int) int { return n }

type Map[K comparable, V any] struct{}

func (m *Map[K, V]) Load(k K) (v V) { return v }
