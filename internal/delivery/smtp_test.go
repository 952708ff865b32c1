package delivery

import (
	"bufio"
	"net"
	"strings"
	"sync"
	"testing"
)

// fakeSMTP is a tiny SMTP server on loopback, speaking just enough of RFC 5321 for a client to
// deliver a message: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT. No TLS, no AUTH.
type fakeSMTP struct {
	ln net.Listener

	mu       sync.Mutex
	messages []received
	// failMail is how many MAIL commands to refuse with a temporary error before accepting.
	failMail int
	wg       sync.WaitGroup
}

// received is one delivered message.
type received struct {
	From string
	To   []string
	Data string
}

func startFakeSMTP(t *testing.T) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeSMTP{ln: ln}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(func() {
		_ = ln.Close()
		s.wg.Wait()
	})
	return s
}

func (s *fakeSMTP) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

func (s *fakeSMTP) failNext(n int) {
	s.mu.Lock()
	s.failMail = n
	s.mu.Unlock()
}

func (s *fakeSMTP) received() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.messages...)
}

func (s *fakeSMTP) serve() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.session(conn)
		}()
	}
}

func (s *fakeSMTP) session(conn net.Conn) {
	defer func() { _ = conn.Close() }()
	r := bufio.NewReader(conn)
	w := bufio.NewWriter(conn)
	reply := func(lines ...string) bool {
		for _, l := range lines {
			if _, err := w.WriteString(l + "\r\n"); err != nil {
				return false
			}
		}
		return w.Flush() == nil
	}
	if !reply("220 fake.test ESMTP ready") {
		return
	}
	var cur received
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(line)
		if i := strings.IndexByte(verb, ' '); i >= 0 {
			verb = verb[:i]
		}
		switch verb {
		case "EHLO":
			reply("250-fake.test", "250-8BITMIME", "250 SIZE 10240000")
		case "HELO":
			reply("250 fake.test")
		case "MAIL":
			s.mu.Lock()
			fail := s.failMail > 0
			if fail {
				s.failMail--
			}
			s.mu.Unlock()
			if fail {
				reply("451 4.3.0 Mail server temporarily rejected message")
				continue
			}
			cur = received{From: addrOf(line)}
			reply("250 2.1.0 OK")
		case "RCPT":
			cur.To = append(cur.To, addrOf(line))
			reply("250 2.1.5 OK")
		case "DATA":
			if !reply("354 End data with <CR><LF>.<CR><LF>") {
				return
			}
			var data strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data.WriteString(strings.TrimPrefix(l, ".")) // dot-unstuffing
			}
			cur.Data = data.String()
			s.mu.Lock()
			s.messages = append(s.messages, cur)
			s.mu.Unlock()
			cur = received{}
			reply("250 2.0.0 OK queued")
		case "RSET":
			cur = received{}
			reply("250 2.0.0 OK")
		case "NOOP":
			reply("250 2.0.0 OK")
		case "QUIT":
			reply("221 2.0.0 Bye")
			return
		default:
			reply("502 5.5.2 Command not recognized")
		}
	}
}

// addrOf takes the address out of "MAIL FROM:<a@b> SIZE=1" or "RCPT TO:<a@b>".
func addrOf(line string) string {
	i, j := strings.IndexByte(line, '<'), strings.IndexByte(line, '>')
	if i < 0 || j < i {
		return ""
	}
	return line[i+1 : j]
}
