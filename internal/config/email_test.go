package config

import (
	"fmt"
	"strings"
	"testing"
)

func TestEmailDefaultsAndPorts(t *testing.T) {
	cfg, err := Load("", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	e := cfg.Email
	if e.Enabled || e.TLS != EmailSTARTTLS || e.Port != 587 || e.SendDay != 5 || e.SendHour != 8 {
		t.Fatalf("email defaults: %+v", e)
	}
	for mode, port := range map[string]int{"starttls": 587, "implicit": 465, "none": 25} {
		cfg, err := Load(writeConfig(t, "email:\n  tls: "+mode+"\n"), noEnv)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Email.Port != port {
			t.Errorf("tls %s: port %d, want %d", mode, cfg.Email.Port, port)
		}
	}
}

const enabledEmail = `email:
  enabled: true
  host: smtp.example.no
  port: 2525
  username: rekkevidde@example.no
  password: literal-for-tests
  from: "Rekkevidde <rekkevidde@example.no>"
  to: [ressursgruppen@example.no, "Kari Nordmann <kari@example.no>"]
  tls: implicit
  send_day: 7
  send_hour: 6
`

func TestEmailSectionLoadsAndPasswordComesFromTheEnvironment(t *testing.T) {
	env := map[string]string{"REKKEVIDDE_EMAIL_PASSWORD": "from-env"}
	cfg, err := Load(writeConfig(t, enabledEmail), func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	e := cfg.Email
	if !e.Enabled || e.Host != "smtp.example.no" || e.Port != 2525 || e.TLS != EmailImplicit || e.SendDay != 7 ||
		e.SendHour != 6 || len(e.To) != 2 || e.Password.Value() != "from-env" || e.Password.Origin() != "env REKKEVIDDE_EMAIL_PASSWORD" {
		t.Fatalf("email section: %+v (password from %s)", e, e.Password.Origin())
	}
	if s := fmt.Sprintf("%v %+v %#v", e, e, e); strings.Contains(s, "from-env") {
		t.Fatalf("the e-mail password printed: %s", s)
	}
}

func TestEmailMistakesAreNamed(t *testing.T) {
	cases := []struct {
		name, yaml, want string
	}{
		{"typo", "email:\n  hots: x\n", `unknown key "hots" in email`},
		{"bad tls", "email:\n  tls: ssl\n", "email.tls: must be starttls, implicit or none"},
		{"send day 0", "email:\n  send_day: 0\n", "email.send_day"},
		{"send day too late", "email:\n  send_day: 61\n", "email.send_day"},
		{"send hour", "email:\n  send_hour: 24\n", "email.send_hour"},
		{"bad port", "email:\n  port: 70000\n", "email.port"},
		{"no host", strings.Replace(enabledEmail, "host: smtp.example.no", "host: ''", 1), "email.host"},
		{"bad from", strings.Replace(enabledEmail, `from: "Rekkevidde <rekkevidde@example.no>"`, "from: rekkevidde", 1), "email.from"},
		{"bad recipient", strings.Replace(enabledEmail, "ressursgruppen@example.no", "ressursgruppen", 1), "email.to[0]"},
		{"no recipients", strings.Replace(enabledEmail, `to: [ressursgruppen@example.no, "Kari Nordmann <kari@example.no>"]`, "to: []", 1), "email.to: must list"},
		{"user without password", strings.Replace(enabledEmail, "  password: literal-for-tests\n", "", 1), "email.password"},
		{"password in clear", strings.Replace(enabledEmail, "tls: implicit", "tls: none", 1), "email.tls: none sends the password in clear"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(writeConfig(t, tc.yaml), noEnv)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "literal-for-tests") {
				t.Fatalf("the error shows the password: %v", err)
			}
		})
	}
	// A relay on this host may take a password over a plain connection; a disabled section is not
	// checked beyond its mode, day and hour.
	local := strings.Replace(strings.Replace(enabledEmail, "tls: implicit", "tls: none", 1), "smtp.example.no", "127.0.0.1", 1)
	if _, err := Load(writeConfig(t, local), noEnv); err != nil {
		t.Fatalf("local relay: %v", err)
	}
	if _, err := Load(writeConfig(t, "email:\n  enabled: false\n  from: nobody\n"), noEnv); err != nil {
		t.Fatalf("disabled section: %v", err)
	}
}
