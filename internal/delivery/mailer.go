package delivery

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"

	gomail "github.com/wneessen/go-mail"

	"github.com/innomed/rekkevidde/internal/config"
)

// SMTP goes through github.com/wneessen/go-mail rather than the standard library's net/smtp, which
// is frozen: net/smtp has no AUTH LOGIN (the mechanism Microsoft 365's SMTP submission offers, and
// InnoMed signs in with Microsoft), no context (a hanging server could only be cut by deadlines we
// manage ourselves), and no message building, so the MIME tree, RFC 2047 headers for a subject
// with æ, ø and å, and base64 attachments would be ours to get right. go-mail does all of that,
// picks the strongest SASL mechanism the server offers, enforces STARTTLS when asked to, is
// actively maintained, and brings no dependencies the module does not already have
// (golang.org/x/crypto and x/text).

// mailer sends messages with one configured SMTP server.
type mailer struct {
	cfg config.Email
}

func newMailer(cfg config.Email) (*mailer, error) {
	if cfg.Host == "" {
		return nil, errors.New("delivery: email.host is empty")
	}
	if len(cfg.To) == 0 {
		return nil, errors.New("delivery: email.to is empty")
	}
	return &mailer{cfg: cfg}, nil
}

// client makes a go-mail client for one send. Clients are cheap and a send is once a quarter, so
// nothing is kept open between sends.
func (m *mailer) client() (*gomail.Client, error) {
	port := m.cfg.Port
	if port == 0 {
		port = 587
	}
	opts := []gomail.Option{
		gomail.WithPort(port),
		gomail.WithTimeout(SendTimeout),
		gomail.WithTLSConfig(&tls.Config{ServerName: m.cfg.Host, MinVersion: tls.VersionTLS12}),
	}
	switch m.cfg.TLS {
	case config.EmailImplicit:
		opts = append(opts, gomail.WithSSL())
	case config.EmailNoTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		// Mandatory: a server that stops offering STARTTLS (or a man in the middle who strips it)
		// gets no password and no report.
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if m.cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(m.cfg.Username), gomail.WithPassword(m.cfg.Password.Value()))
	}
	c, err := gomail.NewClient(m.cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("smtp client for %s: %w", m.cfg.Host, err)
	}
	return c, nil
}

// send delivers msg. The error names the server, never the password.
func (m *mailer) send(ctx context.Context, msg *gomail.Msg) error {
	c, err := m.client()
	if err != nil {
		return err
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("smtp %s: %w", c.ServerAddr(), err)
	}
	return nil
}
