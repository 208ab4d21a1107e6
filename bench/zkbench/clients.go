package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkfs/zkfs/jute"
	"github.com/zkfs/zkfs/zkclient"
)

// client is the part of a ZooKeeper client the measures use. get must be
// safe for concurrent use and return the data it read.
type client interface {
	name() string
	get(path string) ([]byte, error)
	close()
}

// goZK is github.com/go-zookeeper/zk v1.0.4.
type goZK struct{ c *zk.Conn }

// quietLogger drops go-zookeeper's connection chatter.
type quietLogger struct{}

func (quietLogger) Printf(string, ...interface{}) {}

// connectGoZK opens a session and waits for it; the event channel is then
// drained until go-zookeeper closes it.
func connectGoZK(servers string) (*goZK, error) {
	conn, events, err := zk.Connect(strings.Split(servers, ","), 10*time.Second,
		zk.WithLogger(quietLogger{}), zk.WithLogInfo(false))
	if err != nil {
		return nil, err
	}
	deadline := time.After(30 * time.Second)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return nil, fmt.Errorf("connection to %s closed before a session", servers)
			}
			if ev.State == zk.StateHasSession {
				go func() {
					for range events {
					}
				}()
				return &goZK{conn}, nil
			}
		case <-deadline:
			conn.Close()
			return nil, fmt.Errorf("no session with %s within 30s", servers)
		}
	}
}

func (g *goZK) name() string { return "go-zookeeper" }

func (g *goZK) get(path string) ([]byte, error) {
	data, _, err := g.c.Get(path)
	return data, err
}

func (g *goZK) close() { g.c.Close() }

// zkClient is github.com/zkfs/zkfs/zkclient.
type zkClient struct {
	c   *zkclient.Client
	ctx context.Context
}

func connectZkclient(ctx context.Context, servers string) (*zkClient, error) {
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, err := zkclient.Connect(cctx, zkclient.Config{Servers: servers, SessionTimeout: 10 * time.Second})
	if err != nil {
		return nil, err
	}
	go func() { // events are queued without bound until read
		for range c.Events() {
		}
	}()
	return &zkClient{c: c, ctx: ctx}, nil
}

func (z *zkClient) name() string { return "zkclient" }

func (z *zkClient) get(path string) ([]byte, error) {
	data, _, err := z.c.Get(z.ctx, path)
	return data, err
}

func (z *zkClient) close() { z.c.Close() }

// prepare makes path hold data.
func (z *zkClient) prepare(path string, data []byte) error {
	_, _, err := z.c.Create(z.ctx, path, data, jute.ModePersistent, nil)
	if errors.Is(err, zkclient.ErrNodeExists) {
		_, err = z.c.Set(z.ctx, path, data, -1)
	}
	if err != nil {
		return fmt.Errorf("preparing %s: %w", path, err)
	}
	return nil
}
