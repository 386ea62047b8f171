"""What overflows the text column on a page: measured in the browser."""

from __future__ import annotations

# scrollWidth > clientWidth: the element scrolls sideways (1 px of rounding
# allowed). Display equations are measured on MathJax's container, code on
# the <pre> of a cell's input, outputs on each output's own box.
MEASURE = """() => {
  const wide = e => e.scrollWidth > e.clientWidth + 1;
  const label = e => (e.innerText || e.textContent || '').trim().split('\\n')[0].slice(0, 60);
  const pick = (selector) => [...document.querySelectorAll(selector)]
      .filter(wide).map(label);
  const images = [...document.querySelectorAll('article.bd-article div.cell_output img')]
      .map(i => ({src: i.getAttribute('src').split('/').pop(),
                  shown: i.getBoundingClientRect().width, natural: i.naturalWidth,
                  declared: parseFloat(i.style.width || i.getAttribute('width') || '0')}));
  return {
    code: pick('article.bd-article div.cell_input pre'),
    equations: pick('article.bd-article mjx-container[display="true"]'),
    outputs: pick('article.bd-article div.cell_output pre, '
                  + 'article.bd-article div.cell_output div.output'),
    images: images,
  };
}"""
