package types

import (
	"net/url"
)

// URL is an absolute http or https URL (homepage, documentation).
type URL struct{ url.URL }

// NewURL parses s and requires the http or https scheme and a host.
func NewURL(s string) (*URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, invalid(ErrURL, "bad URL: %q", s)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, invalid(ErrURL, "bad URL scheme, must be http/https: %q", s)
	}
	if u.Host == "" {
		return nil, invalid(ErrURL, "bad URL: %q has no host", s)
	}
	return &URL{*u}, nil
}

// MustURL is NewURL that panics on an invalid s.
func MustURL(s string) URL {
	u, err := NewURL(s)
	if err != nil {
		panic(err)
	}
	return *u
}

func (u URL) String() string { return u.URL.String() }

// Set implements flag.Value.
func (u *URL) Set(s string) error {
	n, err := NewURL(s)
	if err != nil {
		return err
	}
	*u = *n
	return nil
}

func (u *URL) UnmarshalJSON(data []byte) error {
	s, err := unquote(data, ErrURL, "URL")
	if err != nil {
		return err
	}
	return u.Set(s)
}

func (u URL) MarshalJSON() ([]byte, error) {
	if _, err := NewURL(u.String()); err != nil {
		return nil, err
	}
	return Marshal(u.String())
}
