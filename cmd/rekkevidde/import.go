package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/innomed/rekkevidde/internal/events"
	"github.com/innomed/rekkevidde/internal/importer"
)

func runImport(ctx context.Context, env *environment, args []string) error {
	fs, common := newFlagSet(env, "import", "KIND FILE",
		"import figures from a CSV file (UTF-8, ';' or ',', a header row naming the columns). "+
			"The whole file is checked first and every problem is listed with its line number; "+
			"a file with any problem writes nothing. Importing a file again replaces its rows, it never adds to them")
	account := fs.String("account", events.DefaultAccount, "events register the rows go to (kind events)")
	list := fs.String("list", "", "newsletter list the rows belong to (kinds newsletter, subscribers): the id its collector uses, e.g. the Mailchimp audience id")
	dryRun := fs.Bool("dry-run", false, "check the file and list its problems, write nothing")
	flagUsage := fs.Usage
	fs.Usage = func() {
		flagUsage()
		printImportKinds(fs.Output())
	}
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(positional) != 2 {
		fs.Usage()
		return usageError{"import needs KIND and FILE, e.g. rekkevidde import events events-2022.csv"}
	}
	kind, ok := importer.Lookup(positional[0])
	if !ok {
		return usageError{fmt.Sprintf("import: unknown kind %q; the kinds are %s (see rekkevidde import --help)", positional[0], strings.Join(kindNames(), ", "))}
	}
	if kind.Target == "list" && strings.TrimSpace(*list) == "" {
		return usageError{fmt.Sprintf("import %s needs --list: the newsletter list the figures belong to (the id its collector uses)", kind.Name)}
	}
	path := positional[1]
	file, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("import %s: %w", kind.Name, err)
	}
	defer func() { _ = file.Close() }()
	opts := importer.Options{AccountID: *account, ListID: *list}
	if *dryRun {
		cfg, _, err := loadConfig(env, common)
		if err != nil {
			return err
		}
		opts.Zone = cfg.Location()
		_, res, err := importer.Parse(kind, file, opts)
		if err != nil {
			return fmt.Errorf("import %s %s: %w", kind.Name, path, err)
		}
		fmt.Fprintf(env.stdout, "%s: %d %s rows, no problems; nothing written (--dry-run)\n", path, res.Rows, kind.Name)
		return nil
	}
	a, err := openApp(ctx, env, common)
	if err != nil {
		return err
	}
	defer a.close()
	opts.Zone = a.cfg.Location()
	res, err := importer.Import(ctx, a.store, kind, file, opts)
	if err != nil {
		return fmt.Errorf("import %s %s: %w", kind.Name, path, err)
	}
	into := ""
	switch kind.Target {
	case "account":
		into = " into account " + opts.AccountID
	case "list":
		into = " into list " + opts.ListID
	}
	fmt.Fprintf(env.stdout, "imported %d %s rows from %s%s (source %q)\n", res.Rows, kind.Name, path, into, importer.Source)
	return nil
}

func kindNames() []string {
	var names []string
	for _, k := range importer.Kinds() {
		names = append(names, k.Name)
	}
	return names
}

// printImportKinds lists the kinds and their columns under the flags in --help.
func printImportKinds(w io.Writer) {
	fmt.Fprintln(w, "\nKinds and their columns (* required; internal/importer/README.md has the rules and examples):")
	for _, k := range importer.Kinds() {
		where := ""
		if k.Target != "" {
			where = "; stored under --" + k.Target
		}
		fmt.Fprintf(w, "\n  %s: %s%s\n", k.Name, k.Summary, where)
		for _, c := range k.Columns {
			name := c.Name
			if c.Required {
				name += "*"
			}
			fmt.Fprintf(w, "    %-18s %s\n", name, c.Help)
		}
		for i, v := range k.Values {
			if i == 0 || k.Values[i-1].Column != v.Column {
				fmt.Fprintf(w, "    %s values:\n", v.Column)
			}
			fmt.Fprintf(w, "      %s: %s\n", v.Name, v.Help)
		}
	}
}
