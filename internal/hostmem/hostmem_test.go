package hostmem

import "testing"

// The real figure: MemAvailable (or the cgroup's room) is read and named
// where the host has one.
func TestAvailable(t *testing.T) {
	if have, from, ok := Available(); ok && (have <= 0 || from == "") {
		t.Errorf("available memory %d from %q", have, from)
	}
}

// Bytes prints KiB, MiB and GiB as the refusals name them.
func TestBytes(t *testing.T) {
	for _, c := range []struct {
		b    int64
		want string
	}{{512 << 10, "512 KiB"}, {1 << 20, "1.0 MiB"}, {24 << 30, "24.0 GiB"}} {
		if got := Bytes(c.b); got != c.want {
			t.Errorf("Bytes(%d) = %q, want %q", c.b, got, c.want)
		}
	}
}
