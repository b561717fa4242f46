package aci

import (
	"fmt"
	"testing"
)

func TestNameSet(t *testing.T) {
	var s nameSet
	const n = 100_000 // several doublings of the bucket table
	name := func(i int) string { return fmt.Sprintf("rootfs/d%d/f%d", i%97, i) }
	for i := range n {
		h := s.hash(name(i))
		if got := s.find(h); got != classNone {
			t.Fatalf("find(%s) before add = %d, want classNone", name(i), got)
		}
		s.add(h, byte(1+i%3))
	}
	if s.n != n || len(s.buckets) <= nameInitialBuckets {
		t.Errorf("after %d adds: n = %d, %d buckets; want n = %d and a grown table", n, s.n, len(s.buckets), n)
	}
	for i := range n {
		if got, want := s.find(s.hash(name(i))), byte(1+i%3); got != want {
			t.Fatalf("find(%s) = %d, want %d", name(i), got, want)
		}
		if got := s.find(s.hash(name(i) + "x")); got != classNone {
			t.Fatalf("find(%sx) = %d, want classNone", name(i), got)
		}
	}
}
