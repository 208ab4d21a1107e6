package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestInotifyWatch(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, ".data")
	if err := os.WriteFile(file, []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := watchFile(file)
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()

	// A sibling's change is not an event for the file.
	if err := os.WriteFile(filepath.Join(dir, "other"), []byte("b"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	if _, ok := w.next(before.Add(-time.Hour), time.Now().Add(300*time.Millisecond)); ok {
		t.Fatal("an event for another file in the directory counted")
	}

	before = time.Now()
	if err := os.WriteFile(file, []byte("c"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, ok := w.next(before, time.Now().Add(20*time.Second))
	if !ok {
		t.Fatal("no event within 20s after writing the file")
	}
	if got.Before(before) {
		t.Fatalf("event stamped %v, before the write at %v", got, before)
	}
}
