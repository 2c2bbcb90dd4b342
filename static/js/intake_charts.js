// Warning charts of one county (受理预警): served per day, capacity vs booked for the coming days.
(function () {
  var node = document.getElementById("chart-data");
  if (!node || typeof Chart === "undefined") return;
  var data = JSON.parse(node.textContent);
  Chart.defaults.font.family = '"Noto Sans CJK SC", "Microsoft YaHei", sans-serif';
  Chart.defaults.font.size = 14;
  Chart.defaults.animation = false;
  new Chart(document.getElementById("chart-served"), {
    type: "bar",
    data: {
      labels: data.history.labels,
      datasets: [
        { label: "办结", data: data.history.served, backgroundColor: "#198754" },
        { label: "未到", data: data.history.no_show, backgroundColor: "#dc3545" },
      ],
    },
    options: { maintainAspectRatio: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
  });
  new Chart(document.getElementById("chart-ahead"), {
    type: "bar",
    data: {
      labels: data.ahead.labels,
      datasets: [
        { label: "可预约容量", data: data.ahead.capacity, backgroundColor: "#9ec5fe" },
        { label: "已预约", data: data.ahead.booked, backgroundColor: "#0b4f8a" },
      ],
    },
    options: { maintainAspectRatio: false, scales: { y: { beginAtZero: true } } },
  });
})();
