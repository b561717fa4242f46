package aci

import "hash/maphash"

// nameSet remembers the entries of an image for the archive rules, by a
// 94-bit hash of each clean name and a 2-bit class, in 12 bytes an entry: a
// Go map of the names cost ~130 bytes an entry, and a map of 128-bit hashes
// still ~37, too much for validate's 64 MB budget at a million entries
// once the collector's headroom (as much again) is counted.
//
// The hash comes from two maphash sums under seeds chosen per set, so
// nobody can craft colliding names; by chance, a collision among a million
// names has odds of about 1 in 10^16, among a billion 1 in 10^10. A collision could only refuse an image (a false
// duplicate, or a parent or link target taken for the other name's class),
// never let a bad one through: every name is looked up before it is added,
// so the first record of a hash stays.
//
// Records live in buckets picked by the top bits of the hash; the bucket
// table doubles when buckets average nameBucketLoad records, and buckets
// grow by a quarter, so memory stays close to the records themselves and
// no growth step copies everything at once.
type nameSet struct {
	seeds   [2]maphash.Seed
	buckets [][]nameRec
	shift   uint // 64 - log2(len(buckets))
	n       int
}

// nameRec is a name's hash: 64 bits in hi (whose top bits pick the
// bucket), 30 more in lo, whose low 2 bits hold the class.
type nameRec struct{ hi1, hi2, lo uint32 }

func (r nameRec) hi() uint64 { return uint64(r.hi1)<<32 | uint64(r.hi2) }

// Classes of entries, as the rules need them.
const (
	classNone    = 0 // not recorded
	classDir     = 1
	classSymlink = 2
	classOther   = 3 // any other non-directory
)

const (
	nameBucketLoad     = 16
	nameInitialBuckets = 64
)

func (s *nameSet) hash(name string) nameRec {
	if s.buckets == nil {
		s.seeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}
		s.buckets = make([][]nameRec, nameInitialBuckets)
		s.shift = 64 - 6
	}
	hi := maphash.String(s.seeds[0], name)
	return nameRec{uint32(hi >> 32), uint32(hi), uint32(maphash.String(s.seeds[1], name)) &^ 3}
}

// find returns the class recorded for h, or classNone.
func (s *nameSet) find(h nameRec) byte {
	for _, r := range s.buckets[h.hi()>>s.shift] {
		if r.hi1 == h.hi1 && r.hi2 == h.hi2 && r.lo&^3 == h.lo {
			return byte(r.lo & 3)
		}
	}
	return classNone
}

// add records h, which must not be recorded yet, with class.
func (s *nameSet) add(h nameRec, class byte) {
	if s.n >= nameBucketLoad*len(s.buckets) {
		s.grow()
	}
	h.lo |= uint32(class)
	i := h.hi() >> s.shift
	b := s.buckets[i]
	if len(b) == cap(b) {
		nb := make([]nameRec, len(b), len(b)+len(b)/4+2)
		copy(nb, b)
		b = nb
	}
	s.buckets[i] = append(b, h)
	s.n++
}

// grow doubles the bucket table, splitting each bucket by the next bit of
// the hash into two exactly sized ones.
func (s *nameSet) grow() {
	old := s.buckets
	s.buckets = make([][]nameRec, 2*len(old))
	s.shift--
	for i, b := range old {
		ones := 0
		for _, r := range b {
			ones += int(r.hi() >> s.shift & 1)
		}
		lo, hi := make([]nameRec, 0, len(b)-ones), make([]nameRec, 0, ones)
		for _, r := range b {
			if r.hi()>>s.shift&1 == 1 {
				hi = append(hi, r)
			} else {
				lo = append(lo, r)
			}
		}
		s.buckets[2*i], s.buckets[2*i+1] = lo, hi
		old[i] = nil // let the collector have it before the table is done
	}
}
