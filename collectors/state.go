package collectors

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// StateDir is where one source keeps what it must remember between runs that is not a figure:
// a refreshed OAuth token, a feed's ETag. Each name is one JSON file, written atomically and
// readable only by the service's user, because tokens are secrets.
type StateDir struct {
	Dir    string
	Source string
}

// Load reads state name into v. It reports false when nothing was saved yet.
func (s StateDir) Load(name string, v any) (bool, error) {
	raw, err := os.ReadFile(s.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("%s: read state %s: %w", s.Source, name, err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("%s: state file %s is damaged (delete it to start afresh): %w", s.Source, s.path(name), err)
	}
	return true, nil
}

// Save writes v as state name.
func (s StateDir) Save(name string, v any) error {
	if s.Dir == "" {
		return fmt.Errorf("%s: no state_dir configured", s.Source)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("%s: encode state %s: %w", s.Source, name, err)
	}
	dir := filepath.Dir(s.path(name))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("%s: create state dir: %w", s.Source, err)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("%s: write state %s: %w", s.Source, name, err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	if _, err := tmp.Write(raw); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("%s: write state %s: %w", s.Source, name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("%s: write state %s: %w", s.Source, name, err)
	}
	if err := os.Rename(tmp.Name(), s.path(name)); err != nil {
		return fmt.Errorf("%s: write state %s: %w", s.Source, name, err)
	}
	return nil
}

func (s StateDir) path(name string) string {
	return filepath.Join(s.Dir, s.Source, name+".json")
}
