package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ozgo/ozgo/internal/fim"
	"github.com/ozgo/ozgo/internal/form"
)

const fimUsage = `usage:
  ozgo fim inspect FILE [--codelists DIR]
  ozgo fim jsonschema FILE [--codelists DIR]
  ozgo fim validate FILE DATA.json [--codelists DIR]
  ozgo fim codelists import DIR [--data DIR] [--database-url URL]
  ozgo fim import FILE [--codelists DIR] [--data DIR] [--database-url URL]

FILE is an XDatenfelder 2.0 or 3.0.0 file (Stammdatenschema or
Datenfeldgruppe). Code lists are the genericode files beside FILE and in DIR.
`

// runFim dispatches "ozgo fim …". Broken or unsupported files and usage
// errors end with exit code 2, invalid data with 1.
func runFim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, fimUsage)
		return errUsage
	}
	sub, rest := args[0], args[1:]
	if sub == "import" || sub == "codelists" {
		return runFimStorage(ctx, sub, rest, stdout, stderr)
	}
	nargs := map[string]int{"inspect": 1, "jsonschema": 1, "validate": 2}[sub]
	if nargs == 0 {
		if sub == "help" || sub == "-h" || sub == "--help" || sub == "-help" {
			fmt.Fprint(stdout, fimUsage)
			return nil
		}
		fmt.Fprintf(stderr, "ozgo fim: unknown command %q\n%s", sub, fimUsage)
		return errUsage
	}
	fs := flag.NewFlagSet("ozgo fim "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, fimUsage) }
	codelists := fs.String("codelists", "", "folder with genericode code lists")
	pos, err := parseInterspersed(fs, rest)
	if err != nil {
		return err
	}
	if len(pos) != nargs {
		fmt.Fprint(stderr, fimUsage)
		return errUsage
	}
	doc, err := fim.ParseFile(pos[0])
	if err != nil && sub == "inspect" {
		// A genericode code list (they sit beside the schemas) is
		// inspected as what it is.
		if l, lerr := fim.ParseCodeListFile(pos[0]); lerr == nil {
			printCodeList(stdout, pos[0], l)
			return nil
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "ozgo fim %s: %s: %v\n", sub, pos[0], err)
		return errUsage
	}
	store, warnings, err := loadCodeLists(pos[0], *codelists)
	if err != nil {
		fmt.Fprintf(stderr, "ozgo fim %s: %v\n", sub, err)
		return errUsage
	}
	export, err := fim.JSONSchema(doc, store)
	if err != nil {
		fmt.Fprintf(stderr, "ozgo fim %s: %s: %v\n", sub, pos[0], err)
		return errUsage
	}
	warnings = append(warnings, doc.Warnings...)
	warnings = append(warnings, export.Warnings...)
	switch sub {
	case "inspect":
		printInspect(stdout, pos[0], doc, store, export, warnings)
		return nil
	case "jsonschema":
		for _, w := range warnings {
			fmt.Fprintf(stderr, "warning: %s\n", w)
		}
		_, err := stdout.Write(export.JSON)
		return err
	}
	return fimValidate(stdout, stderr, export, pos[1])
}

// parseInterspersed parses flags before, between and after positional
// arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errUsage
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// loadCodeLists reads the lists beside the schema, then those of dir
// (which win for the same canonical version URI).
func loadCodeLists(file, dir string) (*fim.CodeListStore, []string, error) {
	store := fim.NewCodeListStore()
	_, warnings, err := store.LoadDir(filepath.Dir(file))
	if err != nil {
		warnings = append(warnings, fmt.Sprintf("code lists beside %s not read: %v", file, err))
	}
	if dir != "" {
		_, w, err := store.LoadDir(dir)
		if err != nil {
			return nil, nil, fmt.Errorf("--codelists: %w", err)
		}
		warnings = append(warnings, w...)
	}
	return store, warnings, nil
}

func printCodeList(w io.Writer, file string, l *fim.CodeList) {
	name := l.LongName
	if name == "" {
		name = l.ShortName
	}
	fmt.Fprintf(w, "%s: %s\n", l.CanonicalVersionURI, name)
	fmt.Fprintf(w, "File:        %s\n", file)
	fmt.Fprintf(w, "Format:      genericode 1.0 code list\n")
	fmt.Fprintf(w, "List:        %s, version %s\n", l.CanonicalURI, l.Version)
	fmt.Fprintf(w, "Entries:     %d (code column %q, name column %q)\n", len(l.Entries), l.CodeColumn, l.NameColumn)
	for i, e := range l.Entries {
		if i == 10 {
			fmt.Fprintf(w, "  … %d more\n", len(l.Entries)-10)
			break
		}
		fmt.Fprintf(w, "  %s  %s\n", e.Code, e.Name)
	}
}

// ruleStatus says whether the form runtime enforces a rule, at every place
// it is attached.
func ruleStatus(m *form.Model, rule *fim.Rule) string {
	if m == nil {
		return "not enforced"
	}
	var how string
	for _, u := range m.Rules {
		s := u.Rule.Source
		if s.ID != rule.ID || s.Version != rule.Version {
			continue
		}
		if !u.Enforced {
			return "not enforced (" + u.Reason + ")"
		}
		r := u.Rule
		cond := r.Field
		switch {
		case r.Kind == form.RuleOnlyIf:
			cond += " is yes"
		case r.Value == "" && r.Negate:
			cond += " is filled in"
		case r.Value == "":
			cond += " is empty"
		case r.Negate:
			cond += " is not " + r.Value
		default:
			cond += " is " + r.Value
		}
		verb := "required"
		if r.Kind == form.RuleOnlyIf {
			verb = "only used"
		}
		how = fmt.Sprintf("enforced (%s %s when %s)", strings.Join(r.Targets, ", "), verb, cond)
	}
	if how == "" {
		return "not enforced"
	}
	return how
}

func printInspect(w io.Writer, file string, doc *fim.Document, store *fim.CodeListStore, x *fim.Export, warnings []string) {
	m, _ := form.NewModel(doc, store)
	r := doc.Root
	st := doc.Stats()
	fmt.Fprintf(w, "%s %s: %s\n", r.ID, r.Version, r.Name)
	fmt.Fprintf(w, "File:        %s\n", file)
	fmt.Fprintf(w, "Format:      %s (%s)\n", doc.Format, doc.Format.Message)
	if r.BezeichnungEingabe != "" {
		fmt.Fprintf(w, "Title:       %s\n", r.BezeichnungEingabe)
	}
	status := r.Status.Code
	if status == "" {
		status = r.Freigabestatus.Code
	}
	if status != "" {
		fmt.Fprintf(w, "Status:      %s\n", status)
	}
	fmt.Fprintf(w, "Groups:      %d (%d distinct)\n", st.Groups, st.DistinctGroups)
	fmt.Fprintf(w, "Fields:      %d (%d distinct)\n", st.Fields, st.DistinctFields)
	fmt.Fprintf(w, "Rules:       %d (%d distinct)\n", st.Rules, st.DistinctRules)
	fmt.Fprintf(w, "JSON Schema: %s\n", x.ID)
	fmt.Fprintf(w, "\nCode lists (%d referenced, %d at hand):\n", len(x.CodeLists), store.Len())
	if len(x.CodeLists) == 0 {
		fmt.Fprintln(w, "  none")
	}
	for _, c := range x.CodeLists {
		fields := strings.Join(c.Fields, ", ")
		switch c.How {
		case fim.ResolvedExact:
			fmt.Fprintf(w, "  %s: exact, %d entries (%s)\n", c.Ref.Key(), len(c.List.Entries), fields)
		case fim.ResolvedOtherVersion:
			fmt.Fprintf(w, "  %s: other version %s, %d entries (%s) – warning: version differs\n", c.Ref.Key(), c.List.CanonicalVersionURI, len(c.List.Entries), fields)
		default:
			fmt.Fprintf(w, "  %s: missing – free text (%s)\n", c.Ref.Key(), fields)
		}
	}
	rules := doc.Rules()
	fmt.Fprintf(w, "\nRules (%d):\n", len(rules))
	if len(rules) == 0 {
		fmt.Fprintln(w, "  none")
	}
	for _, rule := range rules {
		fmt.Fprintf(w, "  %s %s %s: %s\n", rule.ID, rule.Version, rule.Name, ruleStatus(m, rule))
	}
	if len(warnings) > 0 {
		fmt.Fprintf(w, "\nWarnings (%d):\n", len(warnings))
		for _, m := range warnings {
			fmt.Fprintf(w, "  %s\n", m)
		}
	}
}

func fimValidate(stdout, stderr io.Writer, x *fim.Export, dataFile string) error {
	v, err := x.Compile()
	if err != nil {
		fmt.Fprintf(stderr, "ozgo fim validate: the exported schema does not compile: %v\n", err)
		return errUsage
	}
	f, err := os.Open(dataFile)
	if err != nil {
		fmt.Fprintf(stderr, "ozgo fim validate: %v\n", err)
		return errUsage
	}
	defer f.Close()
	problems, err := v.Validate(f)
	if err != nil {
		fmt.Fprintf(stderr, "ozgo fim validate: %s: %v\n", dataFile, err)
		return errUsage
	}
	if len(problems) == 0 {
		fmt.Fprintf(stdout, "%s: valid (%s)\n", dataFile, x.ID)
		return nil
	}
	fmt.Fprintf(stdout, "%s: %d error(s) against %s\n", dataFile, len(problems), x.ID)
	for _, p := range problems {
		fmt.Fprintf(stdout, "  %s\n", p)
	}
	return fmt.Errorf("%s does not match the schema", dataFile)
}
