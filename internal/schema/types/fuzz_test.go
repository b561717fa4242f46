package types

import (
	"encoding/json"
	"testing"
)

// FuzzNames checks the name validators never panic and that every accepted
// name survives a JSON round trip.
func FuzzNames(f *testing.F) {
	for _, s := range []string{"example.com/app", "a-b", "a..b", "-a", "", "A", "a/b~c_d.e", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if id, err := NewACIdentifier(s); err == nil {
			b, err := json.Marshal(id)
			if err != nil {
				t.Fatalf("Marshal(%q) = %v", s, err)
			}
			var back ACIdentifier
			if err := json.Unmarshal(b, &back); err != nil || back != *id {
				t.Fatalf("round trip %q = %q, %v", s, back, err)
			}
		}
		if n, err := NewACName(s); err == nil {
			if _, err := NewACIdentifier(s); err != nil {
				t.Fatalf("ACName %q is not an ACIdentifier: %v", s, err)
			}
			if _, err := json.Marshal(n); err != nil {
				t.Fatalf("Marshal(%q) = %v", s, err)
			}
		}
		if out, err := SanitizeACIdentifier(s); err == nil {
			if _, err := NewACIdentifier(out); err != nil {
				t.Fatalf("SanitizeACIdentifier(%q) = %q, invalid: %v", s, out, err)
			}
		}
		if out, err := SanitizeACName(s); err == nil {
			if _, err := NewACName(out); err != nil {
				t.Fatalf("SanitizeACName(%q) = %q, invalid: %v", s, out, err)
			}
		}
	})
}

// FuzzQuantity checks parsing never panics and that values are stable.
func FuzzQuantity(f *testing.F) {
	for _, s := range []string{"1", "500m", "1.5Gi", "2e3", "1E-3", ".5", "-1", "1Gx", "1e999", "10E", "0.000000001n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseQuantity(s)
		if err != nil {
			return
		}
		q.Int64()
		q.MilliInt64()
		b, err := json.Marshal(q)
		if err != nil {
			t.Fatalf("Marshal(%q) = %v", s, err)
		}
		var back Quantity
		if err := json.Unmarshal(b, &back); err != nil || back.Rat().Cmp(q.Rat()) != 0 {
			t.Fatalf("round trip %q = %v, %v", s, back, err)
		}
	})
}

// FuzzSemVer checks parse/print are inverse and Compare is antisymmetric.
func FuzzSemVer(f *testing.F) {
	for _, s := range []string{"0.8.11", "0.8.11+git", "7.0.0-rc.1+build5", "1.0.0-alpha.1", "01.0.0", "1.0.0-", "v1.0.0"} {
		f.Add(s, "1.0.0")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		va, err := ParseSemVer(a)
		if err != nil {
			return
		}
		if va.String() != a {
			t.Fatalf("ParseSemVer(%q).String() = %q", a, va.String())
		}
		vb, err := ParseSemVer(b)
		if err != nil {
			return
		}
		if va.Compare(vb) != -vb.Compare(va) {
			t.Fatalf("Compare(%q, %q) not antisymmetric", a, b)
		}
	})
}

// FuzzHash checks the hash parser never panics and round-trips.
func FuzzHash(f *testing.F) {
	f.Add("sha512-" + string(make([]byte, 0)))
	f.Add("sha512-abc")
	f.Add("sha512-00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := NewHashKey(s)
		if err != nil {
			return
		}
		if h.String() != s {
			t.Fatalf("NewHashKey(%q).String() = %q", s, h.String())
		}
		_ = h.Short()
	})
}
