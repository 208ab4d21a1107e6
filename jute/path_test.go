package jute

import (
	"errors"
	"strings"
	"testing"
)

func TestValidatePath(t *testing.T) {
	cases := []struct {
		path  string
		valid bool
	}{
		{"/", true},
		{"/a", true},
		{"/a/b/c", true},
		{"/zookeeper", true},
		{"/.a", true},
		{"/a.", true},
		{"/...", true},
		{"/.zk", true},
		{"/a/..b", true},
		{"/a/b..", true},
		{"/a b", true},
		{"/é", true},
		{"/\u00a0", true}, // U+00A0, just above the C1 range
		{"/\ud7ff", true}, // U+D7FF, just below the surrogates
		{"/\uf900", true}, // U+F900, just above the private-use area
		{"/\uffef", true}, // U+FFEF, just below U+FFF0
		{"/" + strings.Repeat("x", 10000), true},
		{"", false},
		{"a", false},
		{"a/b", false},
		{"//", false},
		{"/a/", false},
		{"/a//b", false},
		{"/a/./b", false},
		{"/a/../b", false},
		{"/.", false},
		{"/..", false},
		{"/a/.", false},
		{"/a/..", false},
		{"/\x00", false},         // U+0000
		{"/a\x00b", false},       // embedded NUL
		{"/\x01", false},         // U+0001
		{"/\x1f", false},         // U+001F
		{"/\t", false},           // U+0009
		{"/\x7f", false},         // U+007F
		{"/\u0080", false},       // U+0080
		{"/\u009f", false},       // U+009F
		{"/\ue000", false},       // U+E000, private use
		{"/\uf8ff", false},       // U+F8FF, private use
		{"/\ufff0", false},       // U+FFF0
		{"/\uffff", false},       // U+FFFF
		{"/\U0001F600", false},   // U+1F600, a surrogate pair in UTF-16
		{"/\U00010000", false},   // U+10000
		{"/\xff", false},         // invalid UTF-8
		{"/\xc3", false},         // truncated UTF-8 sequence
		{"/\xed\xa0\x80", false}, // U+D800 encoded as CESU-8
	}
	for _, c := range cases {
		err := ValidatePath(c.path)
		if (err == nil) != c.valid {
			t.Errorf("ValidatePath(%q) = %v, want valid=%v", c.path, err, c.valid)
		}
		if err != nil && !errors.Is(err, ErrInvalidPath) {
			t.Errorf("ValidatePath(%q) = %v, does not wrap ErrInvalidPath", c.path, err)
		}
		if javaValidatePath(c.path) != c.valid {
			t.Errorf("reference validator disagrees on %q", c.path)
		}
	}
}

func TestValidateCreatePath(t *testing.T) {
	cases := []struct {
		path  string
		mode  CreateMode
		valid bool
	}{
		{"/queue/", ModePersistentSequential, true},
		{"/queue/", ModeEphemeralSequential, true},
		{"/queue/", ModePersistentSequentialTTL, true},
		{"/queue/", ModePersistent, false},
		{"/queue/", ModeEphemeral, false},
		{"/queue/", ModeContainer, false},
		{"/queue/", ModePersistentTTL, false},
		{"/q-", ModeEphemeralSequential, true},
		{"/", ModePersistentSequential, true}, // "/1"
		{"/", ModePersistent, true},
		{"/a//", ModePersistentSequential, false},
		{"/a/.", ModePersistentSequential, true}, // "/a/.1"
		{"", ModePersistentSequential, false},
		{"/\x00", ModePersistentSequential, false},
	}
	for _, c := range cases {
		err := ValidateCreatePath(c.path, c.mode)
		if (err == nil) != c.valid {
			t.Errorf("ValidateCreatePath(%q, %v) = %v, want valid=%v", c.path, c.mode, err, c.valid)
		}
		if err != nil && !errors.Is(err, ErrInvalidPath) {
			t.Errorf("ValidateCreatePath(%q, %v) = %v, does not wrap ErrInvalidPath", c.path, c.mode, err)
		}
	}
}

func TestValidatePathReason(t *testing.T) {
	err := ValidatePath("/a//b")
	if err == nil || !strings.Contains(err.Error(), "empty node name") || !strings.Contains(err.Error(), `"/a//b"`) {
		t.Fatalf("error %v does not name the reason and path", err)
	}
}
