// Charts fit the printed page: ECharts draws on a canvas sized when the chart was made, so before
// printing every chart is redrawn, without animation, at its container's print width (the
// @media print rules in style.css fix that width to A4's printable width), and afterwards at the
// screen width again. matchMedia covers browsers that switch to print layout without beforeprint.
(function () {
  var printWidth = function () {
    var probe = document.createElement('div');
    probe.style.width = '180mm'; // .chart's print width in style.css
    probe.style.position = 'absolute';
    probe.style.visibility = 'hidden';
    document.body.appendChild(probe);
    var w = probe.getBoundingClientRect().width;
    document.body.removeChild(probe);
    return w;
  };
  var each = function (fn) {
    if (typeof echarts === 'undefined') {
      return;
    }
    document.querySelectorAll('[_echarts_instance_]').forEach(function (el) {
      var chart = echarts.getInstanceByDom(el);
      if (chart) {
        fn(chart, el);
      }
    });
  };
  // Paper has no buttons: the toolbox ("save as PNG") is hidden while printing.
  var paper = function (chart, on) {
    chart.setOption(on ? { animation: false, toolbox: { show: false } } : { toolbox: { show: true } });
  };
  var toPrint = function () {
    var w = printWidth();
    each(function (chart, el) {
      paper(chart, true);
      chart.resize({ width: w, height: el.clientHeight, animation: { duration: 0 } });
    });
  };
  var toScreen = function () {
    each(function (chart) {
      paper(chart, false);
      chart.resize({ width: 'auto', animation: { duration: 0 } });
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
          chart.resize({ width: 'auto', animation: { duration: 0 } });
        });
      } else {
        toScreen();
      }
    };
    // Loaded in print media already (the PDF renderer, dashboard/pdf.go): dress for paper now.
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
