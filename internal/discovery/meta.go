package discovery

import (
	"errors"
	"io"
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The meta tag names discovery reads.
const (
	metaEndpoint = "ac-discovery"
	metaPubkeys  = "ac-discovery-pubkeys"
)

// metaTag is one <meta name="ac-discovery[-pubkeys]" content="PREFIX URL">.
type metaTag struct {
	name   string // metaEndpoint or metaPubkeys
	prefix string
	url    string // a template for metaEndpoint
}

// parseMeta collects the AppC discovery meta tags of an HTML page in
// document order. It stops at </head> or at the end of r (callers cap r);
// tags after that are not read. Malformed HTML is read as far as the
// tokenizer makes sense of it; only a read error from r is returned.
func parseMeta(r io.Reader) ([]metaTag, error) {
	var tags []metaTag
	z := html.NewTokenizer(r)
	for {
		switch z.Next() {
		case html.ErrorToken:
			if err := z.Err(); !errors.Is(err, io.EOF) {
				return tags, err
			}
			return tags, nil
		case html.EndTagToken:
			if name, _ := z.TagName(); atom.Lookup(name) == atom.Head {
				return tags, nil
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if atom.Lookup(name) != atom.Meta || !hasAttr {
				continue
			}
			if t, ok := metaFromAttrs(z); ok {
				tags = append(tags, t)
			}
		}
	}
}

func metaFromAttrs(z *html.Tokenizer) (metaTag, bool) {
	var name, content string
	for {
		k, v, more := z.TagAttr()
		switch string(k) {
		case "name":
			name = string(v)
		case "content":
			content = string(v)
		}
		if !more {
			break
		}
	}
	switch {
	case strings.EqualFold(name, metaEndpoint):
		name = metaEndpoint
	case strings.EqualFold(name, metaPubkeys):
		name = metaPubkeys
	default:
		return metaTag{}, false
	}
	f := strings.Fields(content)
	if len(f) != 2 {
		return metaTag{}, false
	}
	return metaTag{name: name, prefix: f[0], url: f[1]}, true
}

// prefixMatches reports whether a tag's PREFIX covers the image name: the
// name itself or a path-segment prefix of it (see the package comment).
func prefixMatches(name, prefix string) bool {
	p := strings.TrimSuffix(prefix, "/")
	if p == "" {
		return false
	}
	return name == p || strings.HasPrefix(name, p+"/")
}

// expandTemplate replaces every {key} in tpl with vars[key]. It reports
// false when a placeholder has no value: such templates are meant for
// other requests (a noarch template has no {os}, a specific one has).
// Substituted values are not scanned again.
func expandTemplate(tpl string, vars map[string]string) (string, bool) {
	var b strings.Builder
	for {
		i := strings.IndexByte(tpl, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(tpl[i:], '}')
		if j < 0 {
			break // an unclosed brace is literal text
		}
		v, ok := vars[tpl[i+1:i+j]]
		if !ok {
			return "", false
		}
		b.WriteString(tpl[:i])
		b.WriteString(v)
		tpl = tpl[i+j+1:]
	}
	b.WriteString(tpl)
	return b.String(), true
}

// webURL reports whether s is an absolute http or https URL with a host:
// anything else (file:, javascript:, relative) from a remote page is
// refused rather than handed to a fetcher.
func webURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}
