#pragma once
// Machines as a table, paged from the server: only the pages in view are fetched (100 rows
// each), so 10,000+ machines never freeze the view. Sorting and the search run on the server.
#include <QAbstractTableModel>
#include <QJsonObject>
#include <QMap>
#include <QSet>
#include <QVector>

namespace bk::admin {

class ApiClient;

class MachineModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column { mac, hostname, ip, subnet, image, group, enabled, last_seen, origin, count_ };
  static constexpr int kPage = 100;

  explicit MachineModel(ApiClient& api, QObject* parent = nullptr);

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
  void sort(int column, Qt::SortOrder order) override;

  void set_search(const QString& q);
  void refresh();
  // The machine at `row`, when its page is loaded.
  QJsonObject machine(int row) const;
  int total() const { return total_; }

 signals:
  void loaded();  // a page arrived

 private:
  void fetch(int page) const;
  QString query(int page) const;

  ApiClient& api_;
  QString search_;
  QString sort_ = "id";
  int total_ = 0;
  int generation_ = 0;  // replies for an older search or sort are ignored
  mutable QMap<int, QVector<QJsonObject>> pages_;
  mutable QSet<int> pending_;
};

}  // namespace bk::admin
