package types

import (
	"encoding/json"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Quantity is a Kubernetes-style resource quantity: a decimal number with an
// optional suffix: n u m (10^-9, 10^-6, 10^-3), k M G T P E (SI), Ki Mi Gi
// Ti Pi Ei (binary), or an exponent (e3, E-2). JSON accepts a string or a
// number; it is written back as the original string.
type Quantity struct {
	s string
	r *big.Rat
}

const quantityRegexp = `^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$`

// maxQuantityExp bounds exponents so a hostile "1e999999999" can't make
// the exact arithmetic allocate without limit.
const maxQuantityExp = 60

var quantitySuffixes = map[string]*big.Rat{}

func init() {
	pow := func(base, exp int64) *big.Int { return new(big.Int).Exp(big.NewInt(base), big.NewInt(exp), nil) }
	for i, s := range []string{"k", "M", "G", "T", "P", "E"} {
		quantitySuffixes[s] = new(big.Rat).SetInt(pow(10, int64(3*(i+1))))
	}
	for i, s := range []string{"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"} {
		quantitySuffixes[s] = new(big.Rat).SetInt(pow(2, int64(10*(i+1))))
	}
	for i, s := range []string{"m", "u", "n"} {
		quantitySuffixes[s] = new(big.Rat).SetFrac(big.NewInt(1), pow(10, int64(3*(i+1))))
	}
	quantitySuffixes[""] = big.NewRat(1, 1)
}

// ParseQuantity parses s.
func ParseQuantity(s string) (Quantity, error) {
	bad := func() (Quantity, error) {
		return Quantity{}, invalid(ErrQuantity, "quantities must match the regular expression '%s', got %q", quantityRegexp, s)
	}
	if s == "" || len(s) > 64 {
		return bad()
	}
	i := 0
	if s[0] == '+' || s[0] == '-' {
		i = 1
	}
	start := i
	dots := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		if s[i] == '.' {
			dots++
		}
		i++
	}
	num := s[start:i]
	if num == "" || num == "." || dots > 1 {
		return bad()
	}
	mant, ok := new(big.Rat).SetString(s[:start] + num)
	if !ok {
		return bad()
	}
	suffix := s[i:]
	mult, ok := quantitySuffixes[suffix]
	if !ok {
		if suffix[0] != 'e' && suffix[0] != 'E' {
			return Quantity{}, invalid(ErrQuantity, "unable to parse quantity's suffix %q", suffix)
		}
		exp, err := strconv.Atoi(suffix[1:])
		if err != nil || strings.HasPrefix(suffix[1:], "+") && len(suffix) == 2 {
			return Quantity{}, invalid(ErrQuantity, "unable to parse quantity's suffix %q", suffix)
		}
		if exp > maxQuantityExp || exp < -maxQuantityExp {
			return Quantity{}, invalid(ErrQuantity, "quantity exponent out of range in %q", s)
		}
		p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(exp))), nil)
		if exp >= 0 {
			mult = new(big.Rat).SetInt(p)
		} else {
			mult = new(big.Rat).SetFrac(big.NewInt(1), p)
		}
	}
	return Quantity{s: s, r: new(big.Rat).Mul(mant, mult)}, nil
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// MustQuantity is ParseQuantity that panics on an invalid s.
func MustQuantity(s string) Quantity {
	q, err := ParseQuantity(s)
	if err != nil {
		panic(err)
	}
	return q
}

func (q Quantity) String() string { return q.s }

// Sign is -1, 0 or +1.
func (q Quantity) Sign() int {
	if q.r == nil {
		return 0
	}
	return q.r.Sign()
}

// Rat returns the exact value.
func (q Quantity) Rat() *big.Rat {
	if q.r == nil {
		return new(big.Rat)
	}
	return new(big.Rat).Set(q.r)
}

// Int64 returns the value rounded up to an integer; ok is false when it
// does not fit in an int64.
func (q Quantity) Int64() (v int64, ok bool) { return ceilInt64(q.Rat()) }

// MilliInt64 returns the value in thousandths, rounded up (CPU millicores).
func (q Quantity) MilliInt64() (v int64, ok bool) {
	return ceilInt64(new(big.Rat).Mul(q.Rat(), big.NewRat(1000, 1)))
}

func ceilInt64(r *big.Rat) (int64, bool) {
	n, rem := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	if rem.Sign() > 0 {
		n.Add(n, big.NewInt(1))
	}
	if !n.IsInt64() {
		if n.Sign() > 0 {
			return math.MaxInt64, false
		}
		return math.MinInt64, false
	}
	return n.Int64(), true
}

// Set implements flag.Value.
func (q *Quantity) Set(s string) error {
	n, err := ParseQuantity(s)
	if err != nil {
		return err
	}
	*q = n
	return nil
}

func (q *Quantity) UnmarshalJSON(data []byte) error {
	s := strings.TrimSpace(string(data))
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(data, &s); err != nil {
			return invalid(ErrQuantity, "quantity must be a JSON string or number")
		}
	} else if s == "" || !(s[0] == '-' || s[0] >= '0' && s[0] <= '9') {
		return invalid(ErrQuantity, "quantity must be a JSON string or number, got %s", s)
	}
	return q.Set(s)
}

func (q Quantity) MarshalJSON() ([]byte, error) {
	if _, err := ParseQuantity(q.s); err != nil {
		return nil, err
	}
	return Marshal(q.s)
}
