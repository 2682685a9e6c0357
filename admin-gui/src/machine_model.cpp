#include "machine_model.hpp"

#include <QColor>
#include <QJsonArray>
#include <QUrlQuery>

#include "api_client.hpp"

namespace bk::admin {
namespace {
constexpr const char* kSortKeys[] = {"mac", "hostname", "ip", "", "", "group", "", "last_seen", ""};
}

MachineModel::MachineModel(ApiClient& api, QObject* parent) : QAbstractTableModel(parent), api_(api) {}

int MachineModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : total_;
}

int MachineModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : count_;
}

QString MachineModel::query(int page) const {
  QUrlQuery q;
  q.addQueryItem("limit", QString::number(kPage));
  q.addQueryItem("offset", QString::number(page * kPage));
  q.addQueryItem("sort", sort_);
  if (!search_.isEmpty()) q.addQueryItem("q", search_);
  return "/api/v1/machines?" + q.toString(QUrl::FullyEncoded);
}

void MachineModel::fetch(int page) const {
  if (pending_.contains(page)) return;
  pending_.insert(page);
  const int generation = generation_;
  auto* self = const_cast<MachineModel*>(this);
  api_.get(query(page), [self, page, generation](const Result& r) {
    if (generation != self->generation_) return;
    self->pending_.remove(page);
    if (!r.ok()) return;
    const QJsonObject o = r.object();
    QVector<QJsonObject> rows;
    for (const auto& v : o.value("items").toArray())
      rows.push_back(v.toObject());
    const int total = o.value("total").toInt();
    if (total != self->total_) {
      self->beginResetModel();
      self->pages_.clear();
      self->pages_.insert(page, rows);
      self->total_ = total;
      self->endResetModel();
    } else {
      self->pages_.insert(page, rows);
      const int first = page * kPage;
      emit self->dataChanged(self->index(first, 0),
                             self->index(first + static_cast<int>(rows.size()) - 1, count_ - 1));
    }
    emit self->loaded();
  });
}

QJsonObject MachineModel::machine(int row) const {
  const auto it = pages_.find(row / kPage);
  if (it == pages_.end() || row % kPage >= it->size()) return {};
  return it->at(row % kPage);
}

QVariant MachineModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid()) return {};
  const auto it = pages_.find(index.row() / kPage);
  if (it == pages_.end() || index.row() % kPage >= it->size()) {
    fetch(index.row() / kPage);
    return role == Qt::DisplayRole && index.column() == 0 ? QVariant(tr("loading…")) : QVariant();
  }
  const QJsonObject m = it->at(index.row() % kPage);
  if (role == Qt::ForegroundRole && !m.value("enabled").toBool()) return QVariant(QColor(Qt::gray));
  if (role != Qt::DisplayRole) return {};
  switch (index.column()) {
    case mac:
      return m.value("mac").toString();
    case hostname:
      return m.value("hostname").toString();
    case ip:
      return m.value("ip").toString();
    case subnet:
      return m.value("subnet").toString();
    case image:
      return m.value("image").toString();
    case group:
      return m.value("group").toString();
    case enabled:
      return m.value("enabled").toBool() ? tr("yes") : tr("no");
    case last_seen:
      return m.value("last_seen").toString().replace('T', ' ').left(19);
    case origin:
      return m.value("origin").toString();
    default:
      return {};
  }
}

QVariant MachineModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
  static const char* kNames[] = {"MAC",   "Host name", "IP",        "Subnet", "Image",
                                 "Group", "Enabled",   "Last seen", "Origin"};
  return tr(kNames[section]);
}

void MachineModel::sort(int column, Qt::SortOrder order) {
  const QString key = column >= 0 && column < count_ ? QString(kSortKeys[column]) : QString();
  sort_ = (order == Qt::DescendingOrder ? "-" : "") + (key.isEmpty() ? QStringLiteral("id") : key);
  refresh();
}

void MachineModel::set_search(const QString& q) {
  if (q == search_) return;
  search_ = q;
  refresh();
}

void MachineModel::refresh() {
  ++generation_;
  pending_.clear();
  beginResetModel();
  pages_.clear();
  endResetModel();
  fetch(0);
}

}  // namespace bk::admin
