// Package maturity computes the Reifegrad of an online service in a
// Gemeinde from what is configured, with every criterion listed as met or
// not, and the coverage ("Flächendeckung") of a region: the share of its
// Gemeinden and of its population where a Leistung is offered at
// Reifegrad 3 or more.
//
// It is pure arithmetic on plain values; the tenant package gathers the
// configuration and the catalog supplies regions and population. Nothing
// here is typed in by hand, so the dashboards cannot drift from what
// citizens actually get.
package maturity

// Criterion is one condition of a Reifegrad.
type Criterion struct {
	// ID names the criterion; the German text is the catalog key
	// "maturity.criterion.<ID>".
	ID string `json:"id"`
	// Level is the Reifegrad the criterion belongs to.
	Level int  `json:"stufe"`
	Met   bool `json:"erfuellt"`
}

// The criteria, by level.
const (
	CritTexts     = "texte"      // 1: the Leistung is described
	CritAuthority = "behoerde"   // 1: a responsible authority is named
	CritForm      = "formular"   // 2: an online form is live for the Gemeinde
	CritLogin     = "anmeldung"  // 3: login at the required trust level
	CritEvidence  = "nachweise"  // 3: every evidence can be uploaded
	CritDelivery  = "zustellung" // 3: delivery to a destination or the built-in inbox
	CritPostfach  = "postfach"   // 3: the Bescheid comes digitally through the Postfach
	CritOnceOnly  = "once_only"  // 4: no evidence the authority already holds is asked for
)

// MaxLevel is the highest Reifegrad.
const MaxLevel = 4

// Input is what the Reifegrad of one (online service, Gemeinde) depends on.
type Input struct {
	Texts     bool // the service (or Leistung) has its texts
	Authority bool // a responsible authority is named
	FormLive  bool // a published online service is live for the Gemeinde
	// LoginLevel is the trust level the Gemeinde's activation requires;
	// RequiredLevel the level the Leistung needs (at least "niedrig": a
	// digital Bescheid needs an account to go to). Levels are the
	// identity.TrustLevel numbers.
	LoginLevel    int
	RequiredLevel int
	Evidence      bool // every evidence is uploadable in the form
	Delivery      bool // submissions reach a destination or the built-in inbox
	Postfach      bool // answers and the Bescheid go through the Postfach
	OnceOnly      bool // evidence retrieval from registers (later issue)
}

// Result is a Reifegrad with the criteria that decided it.
type Result struct {
	Level    int         `json:"reifegrad"`
	Criteria []Criterion `json:"kriterien"`
}

// Missing returns the unmet criteria of the next level, what an admin has
// to do to get one level higher (nil at the top).
func (r Result) Missing() []Criterion {
	var out []Criterion
	for _, c := range r.Criteria {
		if c.Level == r.Level+1 && !c.Met {
			out = append(out, c)
		}
	}
	return out
}

// Assess computes the Reifegrad: the highest level whose criteria, and
// those of every level below, are all met. A level cannot be skipped: a
// perfect back channel without a live form is still Reifegrad 1.
func Assess(in Input) Result {
	login := in.LoginLevel >= in.RequiredLevel && in.LoginLevel >= 1
	crit := []Criterion{
		{CritTexts, 1, in.Texts},
		{CritAuthority, 1, in.Authority},
		{CritForm, 2, in.FormLive},
		{CritLogin, 3, login},
		{CritEvidence, 3, in.Evidence},
		{CritDelivery, 3, in.Delivery},
		{CritPostfach, 3, in.Postfach},
		{CritOnceOnly, 4, in.OnceOnly},
	}
	level := MaxLevel
	for _, c := range crit {
		if !c.Met && c.Level-1 < level {
			level = c.Level - 1
		}
	}
	return Result{Level: level, Criteria: crit}
}
