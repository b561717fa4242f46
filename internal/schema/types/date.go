package types

import (
	"time"
)

// Date is an RFC 3339 timestamp (with the "T"), as in the created annotation.
type Date struct{ time.Time }

// NewDate parses s with time.RFC3339.
func NewDate(s string) (*Date, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil, invalid(ErrDate, "bad Date: %q is not an RFC 3339 time", s)
	}
	return &Date{t}, nil
}

// MustDate is NewDate that panics on an invalid s.
func MustDate(s string) Date {
	d, err := NewDate(s)
	if err != nil {
		panic(err)
	}
	return *d
}

func (d Date) String() string { return d.Time.Format(time.RFC3339Nano) }

// Set implements flag.Value.
func (d *Date) Set(s string) error {
	n, err := NewDate(s)
	if err != nil {
		return err
	}
	*d = *n
	return nil
}

func (d *Date) UnmarshalJSON(data []byte) error {
	s, err := unquote(data, ErrDate, "Date")
	if err != nil {
		return err
	}
	return d.Set(s)
}

func (d Date) MarshalJSON() ([]byte, error) {
	if d.Time.IsZero() {
		return nil, invalid(ErrDate, "bad Date: zero time")
	}
	return Marshal(d.String())
}
