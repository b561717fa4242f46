package fetch

import (
	"strconv"
	"strings"
)

// ParseMaxAge returns the max-age of a Cache-Control header in seconds, as
// rkt reads it: no-cache or no-store give 0; a max-age that is not a plain
// decimal number (or has a leading zero) is ignored; absent gives 0.
func ParseMaxAge(header string) int64 {
	var age int64
	for _, d := range strings.Split(header, ",") {
		d = strings.ToLower(strings.TrimSpace(d))
		switch {
		case d == "no-cache" || d == "no-store":
			return 0
		case strings.HasPrefix(d, "max-age="):
			v := strings.Trim(strings.TrimPrefix(d, "max-age="), `"`)
			if v == "" || (v[0] == '0' && len(v) > 1) || strings.Trim(v, "0123456789") != "" {
				continue
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				n = 1<<31 - 1 // overflow: as good as forever
			}
			age = n
		}
	}
	return age
}
