package cache

import (
	"container/list"
	"slices"
	"strings"

	"github.com/zkfs/zkfs/jute"
)

// entry is what the cache knows about one path. Entries form a tree (parent/kids) so that a
// subtree can be dropped without scanning the whole map; an entry without content stays in the
// tree only while a descendant has content. Every field is guarded by Cache.mu.
type entry struct {
	path   string
	name   string // last path component ("" for "/")
	parent *entry // nil for "/"
	kids   map[string]*entry

	// Content. negative excludes everything else.
	negative bool // the znode is known to be absent

	hasStat bool
	stat    jute.Stat

	hasData   bool
	data      []byte // never modified in place; readers get copies
	dataMzxid int64  // mzxid of the stat fetched with data: identifies the data's version

	hasChildren bool
	children    []string // sorted; kept in step with NodeCreated/NodeDeleted events
	// childrenFromStat: the list was derived from a stat showing no children, not
	// fetched. Good for listing; not for telling that a name is absent (knownAbsent):
	// a child created elsewhere just now may have its event still on the way, and a
	// lookup of it (`ls` of a fresh listing, a name another client just reported)
	// must ask the server rather than answer ENOENT.
	childrenFromStat bool

	czxid int64 // czxid of the incarnation the content belongs to; 0 when unknown

	// The ACL, when fetched (CachedACL); valid only while the stat shows the same incarnation
	// and ACL version (a change of ACL made elsewhere is found by PollACLs, which drops the
	// stat).
	acl         []jute.ACL
	aclCzxid    int64
	aclAversion int32

	elem *list.Element // position in the LRU list; nil when the entry has no content
}

func (e *entry) hasContent() bool {
	return e.negative || e.hasStat || e.hasData || e.hasChildren
}

// parentPath returns the parent of an absolute path ("" for "/").
func parentPath(p string) string {
	if p == "/" {
		return ""
	}
	i := strings.LastIndexByte(p, '/')
	if i == 0 {
		return "/"
	}
	return p[:i]
}

// baseName returns the last component of an absolute path ("" for "/").
func baseName(p string) string {
	return p[strings.LastIndexByte(p, '/')+1:]
}

// joinPath appends a child name to an absolute path.
func joinPath(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

// The methods below require Cache.mu.

// lookup returns the entry for p, or nil.
func (c *Cache) lookup(p string) *entry { return c.entries[p] }

// getOrCreate returns the entry for p, creating it and its ancestors as needed.
func (c *Cache) getOrCreate(p string) *entry {
	if e := c.entries[p]; e != nil {
		return e
	}
	e := &entry{path: p, name: baseName(p)}
	if pp := parentPath(p); pp != "" {
		par := c.getOrCreate(pp)
		e.parent = par
		if par.kids == nil {
			par.kids = make(map[string]*entry)
		}
		par.kids[e.name] = e
	}
	c.entries[p] = e
	return e
}

// updated must be called after e's content changed: it keeps the LRU list in step (touching e
// when it has content) and removes e from the tree when it is left with nothing.
func (c *Cache) updated(e *entry) {
	if e.hasContent() {
		c.lru.touch(e)
		c.evict(e)
		return
	}
	c.lru.remove(e)
	c.prune(e)
}

// prune removes e and then its ancestors from the tree while they have neither content nor kids.
func (c *Cache) prune(e *entry) {
	for e != nil && !e.hasContent() && len(e.kids) == 0 {
		c.lru.remove(e)
		if c.entries[e.path] == e {
			delete(c.entries, e.path)
		}
		par := e.parent
		if par != nil && par.kids[e.name] == e {
			delete(par.kids, e.name)
		}
		e.parent = nil
		e = par
	}
}

// clearContent forgets everything about e itself (not its descendants).
func (c *Cache) clearContent(e *entry) {
	if e == nil {
		return
	}
	e.negative = false
	e.dropStat()
	e.dropData()
	e.dropChildren()
	e.czxid = 0
	c.updated(e)
}

func (e *entry) dropStat() { e.hasStat, e.stat = false, jute.Stat{} }
func (e *entry) dropData() { e.hasData, e.data, e.dataMzxid = false, nil, 0 }
func (e *entry) dropChildren() {
	e.hasChildren, e.children, e.childrenFromStat = false, nil, false
}

// removeSubtree forgets e and everything below it.
func (c *Cache) removeSubtree(e *entry) {
	if e == nil {
		return
	}
	par := e.parent
	c.detach(e)
	if par != nil {
		if par.kids[e.name] == e {
			delete(par.kids, e.name)
		}
		c.prune(par)
	}
}

// detach drops e and its descendants from the map and the LRU list, depth first.
func (c *Cache) detach(e *entry) {
	for _, k := range e.kids {
		c.detach(k)
	}
	e.kids = nil
	c.lru.remove(e)
	if c.entries[e.path] == e {
		delete(c.entries, e.path)
	}
}

// dropAll forgets every entry and marks every fill in flight as stale. Until the caller
// publishes an All (and then clears c.evicted), the kernel may hold paths the cache no longer
// tracks, which is what c.evicted records.
func (c *Cache) dropAll() {
	c.noteAll()
	c.entries = make(map[string]*entry)
	c.lru.init()
	c.evicted = true
}

// setStat stores a stat fetched for e's znode. Content that belongs to another incarnation or
// another data version is dropped so that the entry never mixes snapshots it cannot vouch for.
func (e *entry) setStat(st jute.Stat) {
	if e.czxid != 0 && e.czxid != st.Czxid {
		e.dropData()
		e.dropChildren()
	}
	if e.hasData && e.dataMzxid != st.Mzxid {
		e.dropData()
	}
	e.negative = false
	e.czxid = st.Czxid
	e.hasStat, e.stat = true, st
	if st.NumChildren == 0 {
		// The stat says what a getChildren made with it would: no
		// children. Leaves, most of any tree, are then listed without
		// a request of their own. (Every stat stored comes from the
		// server, under the race rule; events drop stats, they never
		// edit them.)
		e.hasChildren, e.children, e.childrenFromStat = true, nil, true
	} else if e.hasChildren && int(st.NumChildren) != len(e.children) {
		e.dropChildren() // older than the stat: fetched again when asked
	}
}

// setData stores data fetched together with st.
func (e *entry) setData(data []byte, st jute.Stat) {
	e.setStat(st)
	e.hasData, e.data, e.dataMzxid = true, data, st.Mzxid
}

// setChildren stores a child list fetched together with st; names must be sorted.
func (e *entry) setChildren(names []string, st jute.Stat) {
	e.setStat(st)
	e.hasChildren, e.children, e.childrenFromStat = true, names, false
}

// setNegative records that the znode is absent.
func (e *entry) setNegative() {
	e.dropStat()
	e.dropData()
	e.dropChildren()
	e.czxid = 0
	e.negative = true
}

// hasChild reports whether name is in e's sorted child list.
func (e *entry) hasChild(name string) bool {
	_, ok := slices.BinarySearch(e.children, name)
	return ok
}

// addChild inserts name into e's cached child list (if cached), keeping it sorted.
func (e *entry) addChild(name string) {
	if !e.hasChildren {
		return
	}
	i, ok := slices.BinarySearch(e.children, name)
	if ok {
		return
	}
	e.children = slices.Insert(slices.Clip(e.children), i, name)
}

// removeChild removes name from e's cached child list (if cached).
func (e *entry) removeChild(name string) {
	if !e.hasChildren {
		return
	}
	if i, ok := slices.BinarySearch(e.children, name); ok {
		e.children = slices.Delete(slices.Clone(e.children), i, i+1)
	}
}

// knownAbsent reports whether the cache knows p does not exist: a negative entry, or a cached
// child list of the parent that lacks p's name.
func (c *Cache) knownAbsent(p string) bool {
	if e := c.entries[p]; e != nil {
		if e.negative {
			return true
		}
		if e.hasContent() {
			return false
		}
	}
	pp := parentPath(p)
	if pp == "" {
		return false
	}
	if par := c.entries[pp]; par != nil {
		if par.negative {
			return true
		}
		if par.hasChildren && !par.childrenFromStat && !par.hasChild(baseName(p)) {
			return true
		}
	}
	return false
}
