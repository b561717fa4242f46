package dockerconv

import "time"

var timeZero time.Time
