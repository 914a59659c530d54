package tenant

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

func testPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		img.Set(x, x%h, color.RGBA{0, 80, 160, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func testJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, w, h)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestCheckLogo(t *testing.T) {
	good := testPNG(t, 200, 80)
	if mt, err := CheckLogo(good); err != nil || mt != "image/png" {
		t.Fatalf("PNG: %q %v", mt, err)
	}
	if mt, err := CheckLogo(testJPEG(t, 300, 100)); err != nil || mt != "image/jpeg" {
		t.Fatalf("JPEG: %q %v", mt, err)
	}
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
	big := append(append([]byte{}, good...), make([]byte, MaxLogoBytes)...)
	for name, c := range map[string]struct {
		data []byte
		key  string
	}{
		"empty":        {nil, "tenant.error.logo_empty"},
		"svg":          {svg, "tenant.error.logo_type"},
		"gif":          {[]byte("GIF89a\x01\x00\x01\x00"), "tenant.error.logo_type"},
		"too large":    {big, "tenant.error.logo_size"},
		"too wide":     {testPNG(t, MaxLogoWidth+1, 20), "tenant.error.logo_dimensions"},
		"too small":    {testPNG(t, 8, 8), "tenant.error.logo_dimensions"},
		"truncated":    {good[:len(good)/2], "tenant.error.logo_broken"},
		"png magic":    {append([]byte("\x89PNG\r\n\x1a\n"), []byte("<svg/>")...), "tenant.error.logo_broken"},
		"jpeg magic":   {[]byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0, '<', 's'}, "tenant.error.logo_broken"},
		"html as jpeg": {append([]byte{0xFF, 0xD8, 0xFF}, []byte("<html><script>x</script>")...), "tenant.error.logo_broken"},
	} {
		mt, err := CheckLogo(c.data)
		if err == nil || err.Message != c.key || err.Field != "logo-datei" || mt != "" {
			t.Errorf("%s: %q %v, want %s", name, mt, err, c.key)
		}
	}
}

// FuzzCheckLogo: whatever the bytes, CheckLogo does not panic, accepts
// only what starts with a PNG or JPEG signature and decodes within the
// limits.
func FuzzCheckLogo(f *testing.F) {
	f.Add(testPNG(f, 20, 20))
	f.Add(testJPEG(f, 20, 20))
	f.Add([]byte("<svg/>"))
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		mt, err := CheckLogo(data)
		if err != nil {
			return
		}
		var cfg image.Config
		var derr error
		switch mt {
		case "image/png":
			cfg, derr = png.DecodeConfig(bytes.NewReader(data))
		case "image/jpeg":
			cfg, derr = jpeg.DecodeConfig(bytes.NewReader(data))
		default:
			t.Fatalf("accepted type %q", mt)
		}
		if derr != nil || cfg.Width > MaxLogoWidth || cfg.Height > MaxLogoHeight || len(data) > MaxLogoBytes {
			t.Fatalf("accepted %d bytes %dx%d (%v)", len(data), cfg.Width, cfg.Height, derr)
		}
	})
}
