package postfach

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/smtp"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ozgo/ozgo/internal/crypt"
	"github.com/ozgo/ozgo/internal/store"
)

// SMTP configures the mail server notifications go through.
type SMTP struct {
	Host string
	Port int
	// Security is "starttls" (default; required, not opportunistic),
	// "tls" (implicit TLS, port 465) or "none" (local relays and tests).
	Security string
	User     string
	Password string
	From     string
	// HelloName is sent in EHLO; default "localhost".
	HelloName string
	// TLSConfig overrides the TLS settings (tests with their own CA).
	TLSConfig *tls.Config
	Timeout   time.Duration
}

// Mailer queues notifications in the database and sends them. Any
// number of processes may run Run on one database: each row is claimed
// before sending and marked sent after, so a message is sent once unless
// a process dies between the SMTP server's acceptance and the mark (then
// at most once more).
type Mailer struct {
	DB   *store.DB
	Keys *crypt.Keyring
	SMTP SMTP
	// Contacts gives the addresses of a party.
	Contacts func(ctx context.Context, party string) ([]string, error)
	// BaseURL is ozgo's public address, for the link in the e-mail.
	BaseURL string
	Log     *slog.Logger
	Now     func() time.Time
	// GiveUpAfter ends retries of a notification (default 3 days).
	GiveUpAfter time.Duration

	sent, failed prometheus.Counter
}

func (m *Mailer) now() time.Time {
	if m.Now == nil {
		return time.Now()
	}
	return m.Now()
}

// Register adds the mailer's metrics to reg.
func (m *Mailer) Register(reg prometheus.Registerer) {
	m.sent = prometheus.NewCounter(prometheus.CounterOpts{Name: "ozgo_mail_sent_total", Help: "Notification e-mails accepted by the SMTP server."})
	m.failed = prometheus.NewCounter(prometheus.CounterOpts{Name: "ozgo_mail_failed_total", Help: "Failed attempts to send a notification e-mail (retried)."})
	reg.MustRegister(m.sent, m.failed)
}

func recipientAD(id string) []byte { return []byte("mail recipient " + id) }

// Notify queues an e-mail to each address of party saying that there is
// a new message in the Postfach, inside tx, so it is sent if and only if
// the message is stored. The e-mail holds no content of the message.
func (m *Mailer) Notify(ctx context.Context, tx *store.Tx, party string) error {
	if m == nil || m.Contacts == nil || m.SMTP.Host == "" {
		// Without a mail server there are no notifications; nothing is
		// queued, so no addresses pile up.
		return nil
	}
	addrs, err := m.Contacts(ctx, party)
	if err != nil {
		return err
	}
	now := store.FormatTime(m.now())
	for _, addr := range addrs {
		id := newID()
		sealed, err := m.Keys.Seal([]byte(addr), recipientAD(id))
		if err != nil {
			return err
		}
		link := strings.TrimSuffix(m.BaseURL, "/") + "/postfach"
		body := "Guten Tag,\r\n\r\nin Ihrem Postfach liegt eine neue Nachricht einer Behörde.\r\n" +
			"Sie können sie nach der Anmeldung hier lesen:\r\n\r\n" + link + "\r\n\r\n" +
			"Aus Gründen des Datenschutzes steht der Inhalt nicht in dieser E-Mail.\r\n" +
			"Diese E-Mail wurde automatisch erstellt; Antworten darauf erreichen niemanden.\r\n"
		if _, err := tx.ExecContext(ctx, `INSERT INTO mail_queue (id, recipient, subject, body, attempts, next_at, claimed_until, sent_at, last_error, created_at)
			VALUES (?, ?, ?, ?, 0, ?, '', '', '', ?)`, id, sealed, "Neue Nachricht in Ihrem Postfach", body, now, now); err != nil {
			return err
		}
	}
	return nil
}

// claimFor is how long a claimed notification is reserved for one
// process; a process that dies holding it frees it by timeout.
const claimFor = 2 * time.Minute

type queued struct {
	id, to, subject, body string
	attempts              int
	created               time.Time
}

// claim reserves up to n due notifications.
func (m *Mailer) claim(ctx context.Context, n int) ([]queued, error) {
	now := m.now()
	var out []queued
	err := m.DB.InTx(ctx, func(tx *store.Tx) error {
		q := `SELECT id, recipient, subject, body, attempts, created_at FROM mail_queue
			WHERE sent_at = '' AND next_at <= ? AND claimed_until < ? ORDER BY next_at LIMIT ?`
		if tx.Engine() == store.Postgres {
			q += ` FOR UPDATE SKIP LOCKED`
		}
		rows, err := tx.QueryContext(ctx, q, store.FormatTime(now), store.FormatTime(now), n)
		if err != nil {
			return err
		}
		for rows.Next() {
			var it queued
			var sealed []byte
			var created string
			if err := rows.Scan(&it.id, &sealed, &it.subject, &it.body, &it.attempts, &created); err != nil {
				rows.Close()
				return err
			}
			addr, err := m.Keys.Open(sealed, recipientAD(it.id))
			if err != nil {
				rows.Close()
				return err
			}
			it.to, it.created = string(addr), store.ParseTime(created)
			out = append(out, it)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, it := range out {
			if _, err := tx.ExecContext(ctx, `UPDATE mail_queue SET claimed_until = ? WHERE id = ?`, store.FormatTime(now.Add(claimFor)), it.id); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// SendDue sends the notifications that are due and reports how many
// were sent.
func (m *Mailer) SendDue(ctx context.Context) (int, error) {
	items, err := m.claim(ctx, 50)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, it := range items {
		err := m.send(it)
		now := m.now()
		if err == nil {
			sent++
			if m.sent != nil {
				m.sent.Inc()
			}
			if _, err := m.DB.ExecContext(ctx, `UPDATE mail_queue SET sent_at = ?, claimed_until = '', recipient = ? WHERE id = ?`,
				store.FormatTime(now), []byte{}, it.id); err != nil {
				return sent, err
			}
			continue
		}
		if m.failed != nil {
			m.failed.Inc()
		}
		giveUp := m.GiveUpAfter
		if giveUp == 0 {
			giveUp = 72 * time.Hour
		}
		attempts := it.attempts + 1
		// Exponential backoff from 30 s, at most an hour, with jitter so
		// a queue that piled up during an outage does not all retry at once.
		delay := min(30*time.Second<<min(attempts-1, 7), time.Hour)
		delay += time.Duration(rand.Int64N(int64(delay / 4)))
		next := store.FormatTime(now.Add(delay))
		if now.Sub(it.created) > giveUp {
			m.Log.Error("notification e-mail given up", "mail", it.id, "attempts", attempts, "err", err)
			next = "9999-12-31T00:00:00.000000000Z"
		} else {
			m.Log.Warn("notification e-mail failed; will retry", "mail", it.id, "attempts", attempts, "retry_in", delay.Round(time.Second), "err", err)
		}
		msg := err.Error()
		if len(msg) > 500 {
			msg = msg[:500]
		}
		if _, err := m.DB.ExecContext(ctx, `UPDATE mail_queue SET attempts = ?, next_at = ?, claimed_until = '', last_error = ? WHERE id = ?`,
			attempts, next, msg, it.id); err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// Run sends due notifications every interval until ctx ends.
func (m *Mailer) Run(ctx context.Context, interval time.Duration) {
	if m.SMTP.Host == "" {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for {
			n, err := m.SendDue(ctx)
			if err != nil && ctx.Err() == nil {
				m.Log.Error("sending notifications failed", "err", err)
			}
			if n == 0 || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// send delivers one e-mail through the configured server.
func (m *Mailer) send(it queued) error {
	c := m.SMTP
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	port := c.Port
	if port == 0 {
		port = 587
		if c.Security == "tls" {
			port = 465
		}
	}
	addr := net.JoinHostPort(c.Host, fmt.Sprint(port))
	tlsCfg := c.TLSConfig
	if tlsCfg == nil {
		tlsCfg = &tls.Config{ServerName: c.Host, MinVersion: tls.VersionTLS12}
	}
	var conn net.Conn
	var err error
	dialer := &net.Dialer{Timeout: timeout}
	if c.Security == "tls" {
		conn, err = tls.DialWithDialer(dialer, "tcp", addr, tlsCfg)
	} else {
		conn, err = dialer.Dial("tcp", addr)
	}
	if err != nil {
		return err
	}
	_ = conn.SetDeadline(time.Now().Add(timeout))
	cl, err := smtp.NewClient(conn, c.Host)
	if err != nil {
		conn.Close()
		return err
	}
	defer cl.Close()
	hello := c.HelloName
	if hello == "" {
		hello = "localhost"
	}
	if err := cl.Hello(hello); err != nil {
		return err
	}
	if c.Security == "" || c.Security == "starttls" {
		if ok, _ := cl.Extension("STARTTLS"); !ok {
			return errors.New("the SMTP server does not offer STARTTLS")
		}
		if err := cl.StartTLS(tlsCfg); err != nil {
			return err
		}
	}
	if c.User != "" {
		if err := cl.Auth(smtp.PlainAuth("", c.User, c.Password, c.Host)); err != nil {
			return err
		}
	}
	from := c.From
	if from == "" {
		from = "noreply@localhost"
	}
	if err := cl.Mail(bareAddress(from)); err != nil {
		return err
	}
	if err := cl.Rcpt(it.to); err != nil {
		return err
	}
	w, err := cl.Data()
	if err != nil {
		return err
	}
	msg := "From: " + from + "\r\nTo: " + it.to + "\r\nSubject: =?UTF-8?Q?" + qEncode(it.subject) + "?=\r\n" +
		"Date: " + time.Now().UTC().Format(time.RFC1123Z) + "\r\nMessage-ID: <" + it.id + "@ozgo>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n" +
		"Auto-Submitted: auto-generated\r\n\r\n" + it.body
	if _, err := w.Write([]byte(msg)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return cl.Quit()
}

// bareAddress returns the address part of "Name <addr>".
func bareAddress(s string) string {
	if i := strings.LastIndex(s, "<"); i >= 0 && strings.HasSuffix(s, ">") {
		return s[i+1 : len(s)-1]
	}
	return s
}

// qEncode encodes a header word as RFC 2047 Q-encoding.
func qEncode(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		switch {
		case c == ' ':
			b.WriteByte('_')
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "=%02X", c)
		}
	}
	return b.String()
}
