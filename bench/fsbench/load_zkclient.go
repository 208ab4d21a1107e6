//go:build zkclient

package main

import (
	"context"
	"time"

	"github.com/zkfs/zkfs/jute"
	"github.com/zkfs/zkfs/zkclient"
)

// zkfs's own client as a loader (--client zkclient).
func init() { creators["zkclient"] = newZKClientCreator }

type zkClientCreator struct{ c *zkclient.Client }

func newZKClientCreator(servers string) (batchCreator, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := zkclient.Connect(ctx, zkclient.Config{Servers: servers, SessionTimeout: 30 * time.Second})
	if err != nil {
		return nil, err
	}
	return &zkClientCreator{c: c}, nil
}

// createBatch sends one multi of creates.
func (z *zkClientCreator) createBatch(paths []string, data [][]byte) error {
	ops := make([]zkclient.Op, len(paths))
	for i := range paths {
		ops[i] = zkclient.CreateOp(paths[i], data[i], jute.ModePersistent, nil)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, err := z.c.Multi(ctx, ops...)
	return err
}

func (z *zkClientCreator) close() { z.c.Close() }
