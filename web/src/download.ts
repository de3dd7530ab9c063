// Saving what the page made (exports) as a download, and the ladder SVG as a PNG (drawn at twice
// its size on a canvas from a blob: URL, which the page's Content-Security-Policy allows for images).

export function saveBlob(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function svgToPng(svg: string, scale = 2): Promise<Blob> {
  return new Promise((ok, fail) => {
    const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
    const img = new Image();
    img.onload = () => {
      const canvas = document.createElement('canvas');
      canvas.width = Math.ceil(img.naturalWidth * scale);
      canvas.height = Math.ceil(img.naturalHeight * scale);
      const g = canvas.getContext('2d');
      if (!g) {
        URL.revokeObjectURL(url);
        fail(new Error('no 2D canvas in this browser'));
        return;
      }
      g.scale(scale, scale);
      g.drawImage(img, 0, 0);
      URL.revokeObjectURL(url);
      canvas.toBlob((b) => (b ? ok(b) : fail(new Error('the PNG could not be encoded'))), 'image/png');
    };
    img.onerror = () => {
      URL.revokeObjectURL(url);
      fail(new Error('the ladder SVG could not be drawn'));
    };
    img.src = url;
  });
}
