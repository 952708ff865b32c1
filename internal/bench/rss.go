package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/innomed/rekkevidde/internal/demo"
)

// serveMemory starts a real `rekkevidde serve` on the demo database, drives it with every user
// over the dashboard's pages for one load run, and reads its peak resident memory (VmHWM).
func (b *bench) serveMemory(ctx context.Context, database string) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("bench: find a free port: %w", err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	dir, err := os.MkdirTemp("", "rekkevidde-bench-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	ch := map[string]any{"addr": b.cfg.ClickHouse.Addr, "database": database, "username": b.cfg.ClickHouse.Username,
		"secure": b.cfg.ClickHouse.Secure}
	if p := b.cfg.ClickHouse.Password.Value(); p != "" {
		ch["password"] = p // in a 0600 file in a private temporary directory, removed afterwards
	}
	var sites []map[string]string
	for _, s := range b.cfg.Sites {
		sites = append(sites, map[string]string{"id": s.ID, "name": s.Name})
	}
	doc, err := yaml.Marshal(map[string]any{
		"timezone": b.cfg.Timezone, "language": b.cfg.Language, "clickhouse": ch,
		"http": map[string]string{"listen": addr}, "sites": sites, "state_dir": filepath.Join(dir, "state"),
		"cache": map[string]int64{"max_bytes": b.cfg.Cache.MaxBytes},
		"auth": map[string]any{"session_key": string(b.key), "users": []map[string]string{
			{"name": benchUser, "password_hash": b.cfg.Auth.Users[0].PasswordHash, "role": "viewer"}}},
	})
	if err != nil {
		return err
	}
	path := filepath.Join(dir, "rekkevidde.yaml")
	if err := os.WriteFile(path, doc, 0o600); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, b.opts.Serve[0], append(b.opts.Serve[1:], "serve", "--config", path, "--log-level", "warn")...)
	// Our own REKKEVIDDE_* settings (the bench database's name above all) must not override the file.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "REKKEVIDDE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("bench: start serve: %w", err)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	defer stop()

	base := "http://" + addr
	client := newClient(b.opts.Users)
	ready := time.Now().Add(60 * time.Second)
	for {
		status, _, err := fetch(ctx, client, base+"/healthz", "")
		if err == nil && status == http.StatusOK {
			break
		}
		if time.Now().After(ready) {
			stop()
			return fmt.Errorf("bench: serve did not answer /healthz within a minute:\n%s", output.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Every page, and /nettsted for each quarter of the report year: first all at once with the
	// cache empty (the dearest moment for memory), then the load run.
	var urls []string
	for _, p := range []string{"/", "/nettsted", "/sosiale-medier", "/nyhetsbrev", "/arrangementer"} {
		urls = append(urls, base+p)
	}
	for q := 1; q <= 4; q++ {
		urls = append(urls, fmt.Sprintf("%s/nettsted?period=quarter&year=%d&quarter=%d", base, demo.ReportYear, q))
	}
	if _, err := burstAll(ctx, client, urls, b.cookies); err != nil {
		stop()
		return fmt.Errorf("%w\n%s", err, output.String())
	}
	r := drive(ctx, client, urls, b.cookies, b.opts.Users, b.opts.Duration, b.opts.MaxRequests)
	peak, err := peakRSS(cmd.Process.Pid)
	if err != nil {
		return err
	}
	b.printf("\nA separate `serve` process, %d users over %d addresses (%d answered, %d failed, p95 %s):\n",
		b.opts.Users, len(urls), r.ok, r.failed, ms(r.percentile(95)))
	if r.failed > 0 {
		return fmt.Errorf("bench: %d requests to serve failed:\n%s", r.failed, output.String())
	}
	b.result(fmt.Sprintf("serve peak RSS under %d users", b.opts.Users), fmt.Sprintf("%.1f MB", float64(peak)/(1<<20)), "≤ 64 MB", peak <= targetRSS)
	return nil
}

// peakRSS reads a process's peak resident set size (VmHWM) from /proc.
func peakRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("bench: read serve's memory: %w", err)
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("bench: parse VmHWM %q: %w", rest, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("bench: no VmHWM in /proc/%d/status", pid)
}
