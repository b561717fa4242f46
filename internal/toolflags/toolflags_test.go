package toolflags

import "testing"

func TestStorePath(t *testing.T) {
	tests := []struct {
		flag      string
		euid      int
		xdg, home string
		want      string
	}{
		{"/s", 1000, "/x", "/home/u", "/s"},
		{"", 0, "/x", "/root", "/var/lib/acikit"},
		{"", 1000, "/x", "/home/u", "/x/acikit"},
		{"", 1000, "", "/home/u", "/home/u/.local/share/acikit"},
		{"", 1000, "rel", "/home/u", "/home/u/.local/share/acikit"},
		{"", 1000, "", "", ""},
	}
	for _, tt := range tests {
		if got := storePath(tt.flag, tt.euid, tt.xdg, tt.home); got != tt.want {
			t.Errorf("storePath(%q, %d, %q, %q) = %q, want %q", tt.flag, tt.euid, tt.xdg, tt.home, got, tt.want)
		}
	}
}
