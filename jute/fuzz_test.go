package jute

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"testing/iotest"
	"unicode/utf16"
	"unicode/utf8"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the seed corpus in testdata/fuzz from the golden encodings")

// fuzzRecords lists every record type; FuzzRecords picks one by the first
// input byte.
var fuzzRecords = []func() Record{
	func() Record { return new(RequestHeader) },
	func() Record { return new(ReplyHeader) },
	func() Record { return new(MultiHeader) },
	func() Record { return new(ConnectRequest) },
	func() Record { return new(ConnectResponse) },
	func() Record { return new(Stat) },
	func() Record { return new(ID) },
	func() Record { return new(ACL) },
	func() Record { return new(ClientInfo) },
	func() Record { return new(AuthPacket) },
	func() Record { return new(SetWatches) },
	func() Record { return new(SetWatches2) },
	func() Record { return new(WatcherEvent) },
	func() Record { return new(ErrorResponse) },
	func() Record { return new(CreateRequest) },
	func() Record { return new(CreateTTLRequest) },
	func() Record { return new(CreateResponse) },
	func() Record { return new(Create2Response) },
	func() Record { return new(DeleteRequest) },
	func() Record { return new(ExistsRequest) },
	func() Record { return new(ExistsResponse) },
	func() Record { return new(GetDataRequest) },
	func() Record { return new(GetDataResponse) },
	func() Record { return new(SetDataRequest) },
	func() Record { return new(SetDataResponse) },
	func() Record { return new(GetACLRequest) },
	func() Record { return new(GetACLResponse) },
	func() Record { return new(SetACLRequest) },
	func() Record { return new(SetACLResponse) },
	func() Record { return new(GetChildrenRequest) },
	func() Record { return new(GetChildrenResponse) },
	func() Record { return new(GetChildren2Request) },
	func() Record { return new(GetChildren2Response) },
	func() Record { return new(SyncRequest) },
	func() Record { return new(SyncResponse) },
	func() Record { return new(CheckVersionRequest) },
	func() Record { return new(ReconfigRequest) },
	func() Record { return new(CheckWatchesRequest) },
	func() Record { return new(RemoveWatchesRequest) },
	func() Record { return new(AddWatchRequest) },
	func() Record { return new(GetEphemeralsRequest) },
	func() Record { return new(GetEphemeralsResponse) },
	func() Record { return new(GetAllChildrenNumberRequest) },
	func() Record { return new(GetAllChildrenNumberResponse) },
	func() Record { return new(WhoAmIResponse) },
	func() Record { return new(GetSASLRequest) },
	func() Record { return new(SetSASLResponse) },
	func() Record { return new(MultiRequest) },
	func() Record { return new(MultiResponse) },
}

// fuzzIndex returns the FuzzRecords selector byte for rec's type.
func fuzzIndex(rec Record) byte {
	for i, f := range fuzzRecords {
		if reflect.TypeOf(f()) == reflect.TypeOf(rec) {
			return byte(i)
		}
	}
	panic("no fuzz selector for " + reflect.TypeOf(rec).String())
}

// checkDecode decodes data into a fresh record. A failure must be
// ErrShortBuffer or wrap ErrMalformed. On success the record is encoded and
// decoded again; both values and both encodings must agree.
func checkDecode(t *testing.T, newRec func() Record, data []byte) {
	t.Helper()
	r1 := newRec()
	if err := Decode(data, r1); err != nil {
		if err != ErrShortBuffer && !errors.Is(err, ErrMalformed) {
			t.Fatalf("%T: unexpected error kind: %v", r1, err)
		}
		return
	}
	enc := r1.Append(nil)
	r2 := newRec()
	d := NewDecoder(enc)
	if err := r2.Decode(d); err != nil {
		t.Fatalf("%T: re-decode of %x: %v", r1, enc, err)
	}
	if d.Remaining() != 0 {
		t.Fatalf("%T: re-decode left %d bytes", r1, d.Remaining())
	}
	if !reflect.DeepEqual(r1, r2) {
		t.Fatalf("%T: decode→encode→decode differs:\n%+v\n%+v", r1, r1, r2)
	}
	if enc2 := r2.Append(nil); !bytes.Equal(enc, enc2) {
		t.Fatalf("%T: re-encode differs:\n%x\n%x", r1, enc, enc2)
	}
}

// seedsFor returns the golden encodings of records of rec's type.
func seedsFor(rec Record) [][]byte {
	var out [][]byte
	for _, g := range allGoldens() {
		if reflect.TypeOf(g.rec) == reflect.TypeOf(rec) {
			out = append(out, g.wire)
		}
	}
	return out
}

// recordSeeds returns the FuzzRecords seeds: selector byte + golden wire.
func recordSeeds() [][]byte {
	var out [][]byte
	for _, g := range allGoldens() {
		out = append(out, append([]byte{fuzzIndex(g.rec)}, g.wire...))
	}
	return out
}

func FuzzRecords(f *testing.F) {
	for _, s := range recordSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		checkDecode(t, fuzzRecords[int(data[0])%len(fuzzRecords)], data[1:])
	})
}

func fuzzOne(f *testing.F, newRec func() Record) {
	for _, s := range seedsFor(newRec()) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkDecode(t, newRec, data) })
}

func FuzzMultiRequest(f *testing.F)  { fuzzOne(f, func() Record { return new(MultiRequest) }) }
func FuzzMultiResponse(f *testing.F) { fuzzOne(f, func() Record { return new(MultiResponse) }) }
func FuzzConnectRequest(f *testing.F) {
	fuzzOne(f, func() Record { return new(ConnectRequest) })
}
func FuzzConnectResponse(f *testing.F) {
	fuzzOne(f, func() Record { return new(ConnectResponse) })
}
func FuzzWatcherEvent(f *testing.F) { fuzzOne(f, func() Record { return new(WatcherEvent) }) }
func FuzzSetWatches2(f *testing.F)  { fuzzOne(f, func() Record { return new(SetWatches2) }) }

// pathSeeds are the FuzzValidatePath seeds.
var pathSeeds = []string{"/", "/a/b", "//", "/a/", "/a/./b", "/..", "/.zk", "/a\x00b", "/\u0085", "/\ud7ff",
	"/\ue000", "/\uf900", "/\ufff0", "/\U0001F600", "/\xff", "/queue/", ""}

func FuzzValidatePath(f *testing.F) {
	for _, s := range pathSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		err := ValidatePath(path)
		want := javaValidatePath(path)
		if (err == nil) != want {
			t.Fatalf("ValidatePath(%q) = %v; reference says valid=%v", path, err, want)
		}
		if err != nil && !errors.Is(err, ErrInvalidPath) {
			t.Fatalf("ValidatePath(%q) error %v does not wrap ErrInvalidPath", path, err)
		}
		seqErr := ValidateCreatePath(path, ModePersistentSequential)
		if (seqErr == nil) != javaValidatePath(path+"1") {
			t.Fatalf("ValidateCreatePath(%q, sequential) = %v", path, seqErr)
		}
		if plain := ValidateCreatePath(path, ModePersistent); (plain == nil) != (err == nil) {
			t.Fatalf("ValidateCreatePath(%q, persistent) = %v, ValidatePath = %v", path, plain, err)
		}
	})
}

// javaValidatePath is an independent oracle: PathUtils.validatePath applied
// to the UTF-16 code units of path, after rejecting invalid UTF-8.
func javaValidatePath(path string) bool {
	if !utf8.ValidString(path) {
		return false
	}
	s := utf16.Encode([]rune(path))
	if len(s) == 0 || s[0] != '/' {
		return false
	}
	if len(s) == 1 {
		return true
	}
	if s[len(s)-1] == '/' {
		return false
	}
	var last uint16 = '/'
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == 0:
			return false
		case c == '/' && last == '/':
			return false
		case c == '.' && last == '.' && s[i-2] == '/' && (i+1 == len(s) || s[i+1] == '/'):
			return false
		case c == '.' && s[i-1] == '/' && (i+1 == len(s) || s[i+1] == '/'):
			return false
		case c > 0 && c <= 0x1f, c >= 0x7f && c <= 0x9f, c >= 0xd800 && c <= 0xf8ff, c >= 0xfff0:
			return false
		}
		last = c
	}
	return true
}

// frameSeeds are the FuzzFrameReader seeds: the ping frame, two frames
// back to back, a truncated frame and an oversized length.
func frameSeeds() [][]byte {
	two := AppendRequest(nil, 1, OpGetData, &GetDataRequest{Path: "/a"})
	two = AppendRequest(two, 2, OpCloseSession, nil)
	return [][]byte{
		goldenPing,
		two,
		goldenPing[:7],
		{0x7F, 0xFF, 0xFF, 0xFF, 1, 2, 3},
		{0xFF, 0xFF, 0xFF, 0xFF},
		{0, 0, 0, 0},
	}
}

func FuzzFrameReader(f *testing.F) {
	for _, s := range frameSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, max := range []int{0, 16} {
			for _, oneByte := range []bool{false, true} {
				var r io.Reader = bytes.NewReader(data)
				if oneByte {
					r = iotest.OneByteReader(r)
				}
				checkFrames(t, data, NewFrameReader(r, max))
			}
		}
	})
}

// checkFrames reads every frame of data and checks that re-framing the
// payloads rebuilds the consumed input exactly, and that the terminating
// error matches what is left.
func checkFrames(t *testing.T, data []byte, fr *FrameReader) {
	t.Helper()
	var rebuilt []byte
	for {
		p, err := fr.Next()
		if err != nil {
			rest := data[len(rebuilt):]
			switch {
			case err == io.EOF:
				if len(rest) != 0 {
					t.Fatalf("io.EOF with %d bytes left", len(rest))
				}
			case err == io.ErrUnexpectedEOF:
				if len(rest) == 0 {
					t.Fatal("io.ErrUnexpectedEOF with nothing left")
				}
			case errors.Is(err, ErrFrameTooLarge) && errors.Is(err, ErrMalformed):
				if len(rest) < 4 {
					t.Fatalf("ErrFrameTooLarge with %d bytes left", len(rest))
				}
			default:
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if len(p) > fr.Max() {
			t.Fatalf("payload %d over limit %d", len(p), fr.Max())
		}
		b, start := BeginFrame(rebuilt)
		rebuilt = EndFrame(append(b, p...), start)
		if !bytes.HasPrefix(data, rebuilt) {
			t.Fatalf("re-framed payloads are not a prefix of the input")
		}
	}
}

// corpusFiles maps each fuzz target to its generated seed files.
func corpusFiles() map[string]map[string]string {
	bytesFile := func(b []byte) string {
		return "go test fuzz v1\n[]byte(" + strconv.Quote(string(b)) + ")\n"
	}
	out := map[string]map[string]string{}
	add := func(target, name, content string) {
		if out[target] == nil {
			out[target] = map[string]string{}
		}
		out[target][name] = content
	}
	for _, g := range allGoldens() {
		name := "golden-" + filepath.Base(g.name)
		if g.name != filepath.Base(g.name) {
			name = "golden-" + filepath.Dir(g.name) + "-" + filepath.Base(g.name)
		}
		add("FuzzRecords", name, bytesFile(append([]byte{fuzzIndex(g.rec)}, g.wire...)))
		switch g.rec.(type) {
		case *MultiRequest:
			add("FuzzMultiRequest", name, bytesFile(g.wire))
		case *MultiResponse:
			add("FuzzMultiResponse", name, bytesFile(g.wire))
		case *ConnectRequest:
			add("FuzzConnectRequest", name, bytesFile(g.wire))
		case *ConnectResponse:
			add("FuzzConnectResponse", name, bytesFile(g.wire))
		case *WatcherEvent:
			add("FuzzWatcherEvent", name, bytesFile(g.wire))
		case *SetWatches2:
			add("FuzzSetWatches2", name, bytesFile(g.wire))
		}
	}
	for i, p := range pathSeeds {
		add("FuzzValidatePath", "seed-"+strconv.Itoa(i), "go test fuzz v1\nstring("+strconv.Quote(p)+")\n")
	}
	for i, s := range frameSeeds() {
		add("FuzzFrameReader", "seed-"+strconv.Itoa(i), bytesFile(s))
	}
	return out
}

// TestFuzzCorpus checks that the committed seed corpus in testdata/fuzz
// holds exactly the files generated from the golden encodings. Run with
// -update-corpus to rewrite it.
func TestFuzzCorpus(t *testing.T) {
	for target, files := range corpusFiles() {
		dir := filepath.Join("testdata", "fuzz", target)
		for name, content := range files {
			p := filepath.Join(dir, name)
			if *updateCorpus {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(p)
			if err != nil {
				t.Errorf("seed corpus file missing (run go test -run TestFuzzCorpus -update-corpus): %v", err)
				continue
			}
			if string(got) != content {
				t.Errorf("%s is stale (run go test -run TestFuzzCorpus -update-corpus)", p)
			}
		}
	}
}
