package jute

import (
	"fmt"
	"unicode/utf8"
)

// ValidatePath checks a znode path against ZooKeeper's rules
// (PathUtils.validatePath, zk-protocol.md §13). The error wraps
// ErrInvalidPath and names the reason.
//
// Java checks UTF-16 code units; here every rune at or above U+10000 is
// rejected because in UTF-16 it is a surrogate pair, and surrogates are
// forbidden. Invalid UTF-8 is rejected too.
func ValidatePath(path string) error {
	if reason := checkPath(path); reason != "" {
		return fmt.Errorf("%w: %q: %s", ErrInvalidPath, path, reason)
	}
	return nil
}

// ValidateCreatePath checks the path of a create in mode. For sequential
// modes it validates path+"1", as Java does, so a trailing "/" is allowed
// (the server appends the sequence number).
func ValidateCreatePath(path string, mode CreateMode) error {
	if mode.IsSequential() {
		if reason := checkPath(path + "1"); reason != "" {
			return fmt.Errorf("%w: %q (sequential): %s", ErrInvalidPath, path, reason)
		}
		return nil
	}
	return ValidatePath(path)
}

// checkPath returns why path is invalid, or "".
func checkPath(path string) string {
	switch {
	case path == "":
		return "empty path"
	case path[0] != '/':
		return "path must start with /"
	case path == "/":
		return ""
	case path[len(path)-1] == '/':
		return "path must not end with /"
	}
	// compStart is the byte offset where the current component begins.
	compStart := 1
	for i := 1; i < len(path); {
		c := path[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '/':
				if reason := checkComponent(path[compStart:i]); reason != "" {
					return reason
				}
				compStart = i + 1
			case c == 0:
				return fmt.Sprintf("null character at byte %d", i)
			case c < 0x20 || c == 0x7f:
				return fmt.Sprintf("invalid character U+%04X at byte %d", c, i)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(path[i:])
		if r == utf8.RuneError && size == 1 {
			return fmt.Sprintf("invalid UTF-8 at byte %d", i)
		}
		if forbiddenRune(r) {
			return fmt.Sprintf("invalid character U+%04X at byte %d", r, i)
		}
		i += size
	}
	return checkComponent(path[compStart:])
}

// checkComponent rejects empty, "." and ".." components.
func checkComponent(name string) string {
	switch name {
	case "":
		return "empty node name"
	case ".", "..":
		return "relative paths not allowed"
	}
	return ""
}

// forbiddenRune reports whether r (≥ U+0080) is outside what ZooKeeper
// accepts: U+0080–U+009F, U+D800–U+F8FF, U+FFF0–U+FFFF, and every rune
// that UTF-16 encodes as a surrogate pair.
func forbiddenRune(r rune) bool {
	return r <= 0x9f ||
		(r >= 0xd800 && r <= 0xf8ff) ||
		(r >= 0xfff0 && r <= 0xffff) ||
		r > 0xffff
}
