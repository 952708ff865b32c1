// Charts fit the printed page: ECharts draws on a canvas sized when the chart was made, so before
// printing every chart is redrawn, without animation, at its container's print width (the
// @media print rules in style.css fix that width: 180 mm, A4's printable width less a margin, or
// the width its data-print-width names for the small charts of a designed report), and afterwards
// at the screen width again. matchMedia covers browsers that switch to print layout without
// beforeprint.
(function () {
  var printSize = function (el) {
    var probe = document.createElement('div');
    // .chart's print size in style.css; the attributes repeat it where a chart differs.
    probe.style.width = el.getAttribute('data-print-width') || '180mm';
    probe.style.height = el.getAttribute('data-print-height') || '52mm';
    probe.style.position = 'absolute';
    probe.style.visibility = 'hidden';
    document.body.appendChild(probe);
    var r = probe.getBoundingClientRect();
    document.body.removeChild(probe);
    return r;
  };
  // After fn has resized a chart, its legend is fitted again (chartkit.go's jsFitLegend).
  var each = function (fn) {
    if (typeof echarts === 'undefined') {
      return;
    }
    document.querySelectorAll('[_echarts_instance_]').forEach(function (el) {
      var chart = echarts.getInstanceByDom(el);
      if (chart) {
        fn(chart, el);
        el.dispatchEvent(new Event('chartresize'));
      }
    });
  };
  // Paper has no buttons: the toolbox ("save as PNG") is hidden while printing.
  var paper = function (chart, on) {
    chart.setOption(on ? { animation: false, toolbox: { show: false } } : { toolbox: { show: true } });
  };
  var toPrint = function () {
    each(function (chart, el) {
      paper(chart, true);
      var size = printSize(el);
      chart.resize({ width: size.width, height: size.height, animation: { duration: 0 } });
    });
  };
  var toScreen = function () {
    each(function (chart) {
      paper(chart, false);
      chart.resize({ width: 'auto', height: 'auto', animation: { duration: 0 } });
    });
  };
  window.addEventListener('beforeprint', toPrint);
  window.addEventListener('afterprint', toScreen);
  if (window.matchMedia) {
    var mq = window.matchMedia('print');
    var onChange = function (e) {
      if (e.matches) {
        // In print layout already: the containers have their print width.
        each(function (chart) {
          paper(chart, true);
          chart.resize({ width: 'auto', height: 'auto', animation: { duration: 0 } });
        });
      } else {
        toScreen();
      }
    };
    // Loaded in print media already (the PDF renderer, dashboard/pages/pdf.go): dress for paper now.
    if (mq.matches) {
      each(function (chart) {
        paper(chart, true);
      });
    }
    if (mq.addEventListener) {
      mq.addEventListener('change', onChange);
    } else if (mq.addListener) {
      mq.addListener(onChange);
    }
  }
})();
