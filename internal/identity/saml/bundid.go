package saml

// Attribute names of the BundID SAML profile. BundID (like the other
// "Interoperable Servicekonten" of the Länder) names attributes by OID URIs;
// the list follows the attribute table of the BundID integration guide as
// it is reproduced in keycloak-extension-bundid (opdt/keycloak-extension-bundid,
// BundIdAttribute.java) and other public BundID clients.
const (
	AttrBPK2         = "urn:oid:1.3.6.1.4.1.25484.494450.3" // bereichsspezifisches Personenkennzeichen, the stable subject
	AttrGivenName    = "urn:oid:2.5.4.42"
	AttrSurname      = "urn:oid:2.5.4.4"
	AttrBirthName    = "urn:oid:1.2.40.0.10.2.1.1.225566"
	AttrBirthDate    = "urn:oid:1.2.40.0.10.2.1.1.55"
	AttrPlaceOfBirth = "urn:oid:1.3.6.1.5.5.7.9.2"
	AttrStreet       = "urn:oid:2.5.4.16" // postalAddress: street and house number
	AttrPostalCode   = "urn:oid:2.5.4.17"
	AttrCity         = "urn:oid:2.5.4.7" // localityName
	AttrCountry      = "urn:oid:1.2.40.0.10.2.1.1.225599"
	AttrEmail        = "urn:oid:0.9.2342.19200300.100.1.3"
	// AttrTrustLevel carries the Vertrauensniveau of the login
	// (EID-CITIZEN-QAA-LEVEL) as a STORK QAA level name.
	AttrTrustLevel = "urn:oid:1.2.40.0.10.2.1.1.261.94"
)

// AKDBNamespace is the namespace of the AuthnRequest extension by which a
// service provider asks BundID for attributes:
//
//	<samlp:Extensions>
//	  <akdb:AuthenticationRequest xmlns:akdb="https://www.akdb.de/request/2018/09" Version="2">
//	    <akdb:RequestedAttributes>
//	      <akdb:RequestedAttribute Name="urn:oid:2.5.4.42" RequiredAttribute="true"/>
//
// (the format shown in the README of keycloak-extension-bundid).
const AKDBNamespace = "https://www.akdb.de/request/2018/09"

// RequestedAttribute is one attribute asked for in the AuthnRequest.
type RequestedAttribute struct {
	Name     string // the OID URI, e.g. AttrGivenName
	Required bool
}

// DefaultRequestedAttributes are what ozgo asks for when Config names none:
// the subject, the name, birth data, address, e-mail and the trust level.
// Only the bPK2 and the name are required; BundID asks the user to consent
// to the rest.
func DefaultRequestedAttributes() []RequestedAttribute {
	return []RequestedAttribute{
		{Name: AttrBPK2, Required: true},
		{Name: AttrGivenName, Required: true},
		{Name: AttrSurname, Required: true},
		{Name: AttrBirthName},
		{Name: AttrBirthDate},
		{Name: AttrPlaceOfBirth},
		{Name: AttrStreet},
		{Name: AttrPostalCode},
		{Name: AttrCity},
		{Name: AttrCountry},
		{Name: AttrEmail},
		{Name: AttrTrustLevel},
	}
}

// The marks of ozgo's development identity provider (internal/devidp). A
// production configuration must not trust it by accident, so New refuses
// IdP metadata that carries either mark unless Config.AllowTestIdP is set.
const (
	// TestSystemNamespace is the namespace of the <ozgo:TestSystem/>
	// element in the md:Extensions of the devidp's metadata.
	TestSystemNamespace = "urn:ozgo:devidp"
	// TestSystemElement is that element's local name.
	TestSystemElement = "TestSystem"
	// TestEntitySuffix ends the devidp's entity ID.
	TestEntitySuffix = "/ozgo-devidp"
)
